#!/bin/sh
# Records a successful backup in backup.runs of $PGDATABASE, where monitoring reads the time of
# the last one of each kind: applies backup-log.sql (idempotent), then inserts the row, in one
# transaction. Run by backup.sh (kind dump) and basebackup.sh (kind base).
#
# Environment: PGDATABASE and the other libpq variables; BACKUP_LOG_SQL (default: backup-log.sql
# beside this script).
set -eu

if [ $# -ne 3 ]; then
    echo "Usage: record-run.sh dump|base FILE BYTES" >&2
    exit 2
fi
case $1 in
    dump|base) ;;
    *) echo "record-run.sh: kind '$1': expected dump or base" >&2; exit 2 ;;
esac
script_dir=$(cd -P -- "$(dirname -- "$0")" && pwd)
psql -X -q -v ON_ERROR_STOP=1 --single-transaction -v kind="$1" -v file="$2" -v bytes="$3" \
    -c 'SET LOCAL client_min_messages = warning' -f "${BACKUP_LOG_SQL:-$script_dir/backup-log.sql}" -f - <<'SQL'
INSERT INTO backup.runs (kind, file, bytes) VALUES (:'kind', :'file', :'bytes');
SQL
