#!/bin/sh
# Backs up one PostgreSQL database as a custom-format dump (pg_dump -Fc), prunes old dumps and
# records the success in the database itself (table backup.runs, see backup-log.sql).
#
#   1. pg_dump -Fc into $BACKUP_DIR/.<db>-<UTC timestamp>.dump.<pid>.partial
#   2. pg_restore --list must read it; only then it is renamed to <db>-<YYYYmmddTHHMMSSZ>.dump,
#      so a partial or broken file never looks like a backup
#   3. deletes <db>-*.dump (and stale partials) older than $BACKUP_RETENTION_DAYS days
#   4. applies backup-log.sql and inserts (finished_at, file, bytes) into backup.runs
# Any failure stops the run with a non-zero exit status and records nothing.
#
# The schema "backup" (this bookkeeping) is left out of the dump, so restoring a dump never
# rewinds backup.runs.
#
# Environment:
#   PGDATABASE (required)  database to back up, and where the run is recorded
#   PGHOST PGPORT PGUSER PGPASSWORD (or PGPASSFILE, PGSSLMODE...)  libpq connection settings
#   BACKUP_DIR             where dumps go (default /backups; created if missing)
#   BACKUP_RETENTION_DAYS  dumps older than this many days are deleted (default 7), counted like
#                          find -mtime +N: a dump goes once it is more than N full days old
#   BACKUP_LOG_SQL         the bookkeeping DDL (default: backup-log.sql beside this script)
set -eu

prog=backup.sh
usage() {
    cat <<'EOF'
Usage: backup.sh
Dumps $PGDATABASE (pg_dump -Fc) to $BACKUP_DIR/<db>-<YYYYmmddTHHMMSSZ>.dump, deletes dumps of
that database older than $BACKUP_RETENTION_DAYS days and records the run in backup.runs.

Environment: PGDATABASE (required), PGHOST, PGPORT, PGUSER, PGPASSWORD (libpq),
  BACKUP_DIR (default /backups), BACKUP_RETENTION_DAYS (default 7),
  BACKUP_LOG_SQL (default: backup-log.sql beside this script).
Exit status: 0 when the dump was written, verified and recorded; non-zero otherwise.
EOF
}

log() { printf '%s %s: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$prog" "$*"; }
die() { log "ERROR: $*" >&2; exit 1; }

case $# in
    0) ;;
    *) case $1 in
           -h|--help) usage; exit 0 ;;
           *) usage >&2; exit 2 ;;
       esac ;;
esac

script_dir=$(cd -P -- "$(dirname -- "$0")" && pwd)
db=${PGDATABASE:-}
backup_dir=${BACKUP_DIR:-/backups}
retention=${BACKUP_RETENTION_DAYS:-7}
log_sql=${BACKUP_LOG_SQL:-$script_dir/backup-log.sql}

if [ -z "$db" ]; then
    usage >&2
    die "PGDATABASE is not set: set it to the database to back up"
fi
case $db in
    */*|*=*|*'*'*|*'?'*|*'['*|*' '*)
        die "PGDATABASE='$db': use a plain database name (it becomes part of the file name)" ;;
esac
case $retention in
    ''|*[!0-9]*) die "BACKUP_RETENTION_DAYS='$retention' is not a whole number of days" ;;
esac
if [ ! -f "$log_sql" ] || [ ! -r "$log_sql" ]; then
    die "bookkeeping SQL not readable: $log_sql (BACKUP_LOG_SQL)"
fi
for tool in pg_dump pg_restore psql; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool not found in PATH"
done

tmp=
cleanup() {
    if [ -n "$tmp" ] && [ -e "$tmp" ]; then
        rm -f -- "$tmp"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

log "start: database $db on ${PGHOST:-<libpq default host>}:${PGPORT:-5432} as ${PGUSER:-<libpq default user>}, dir $backup_dir, retention $retention days"

mkdir -p -- "$backup_dir" || die "cannot create $backup_dir"
[ -w "$backup_dir" ] || die "$backup_dir is not writable"

stamp=$(date -u +%Y%m%dT%H%M%SZ)
name=$db-$stamp.dump
final=$backup_dir/$name
[ ! -e "$final" ] || die "$final already exists (another backup in the same second?)"
tmp=$backup_dir/.$name.$$.partial

log "dump: pg_dump -Fc $db -> $tmp"
pg_dump -Fc --exclude-schema=backup -f "$tmp" "$db" || die "pg_dump failed; no backup written"

log "verify: pg_restore --list $tmp"
toc=$(pg_restore --list "$tmp") || die "pg_restore cannot read the dump; discarded"
entries=$(printf '%s\n' "$toc" | grep -c '^[0-9]') || entries=0
[ "$entries" -gt 0 ] || die "the dump has no entries; discarded"

mv -f -- "$tmp" "$final" || die "cannot rename $tmp to $final"
tmp=
bytes=$(wc -c < "$final" | tr -d ' ')
log "saved: $final ($bytes bytes, $entries archive entries)"

log "retention: deleting $db dumps older than $retention days from $backup_dir"
d='[0-9]'
pattern="$db-$d$d$d$d$d$d$d${d}T$d$d$d$d$d${d}Z.dump"
old=$(find "$backup_dir" -maxdepth 1 -type f \( -name "$pattern" -o -name ".$pattern.*.partial" \) -mtime "+$retention") ||
    die "cannot list old dumps in $backup_dir"
removed=0
if [ -n "$old" ]; then
    nl='
'
    saved_ifs=$IFS
    IFS=$nl
    set -f
    for f in $old; do
        IFS=$saved_ifs
        [ "$f" = "$final" ] && continue
        rm -f -- "$f" || die "cannot delete $f"
        log "retention: deleted $f"
        removed=$((removed + 1))
    done
    set +f
    IFS=$saved_ifs
fi
kept=$(find "$backup_dir" -maxdepth 1 -type f -name "$pattern" | wc -l | tr -d ' ')
log "retention: deleted $removed, kept $kept dumps of $db"

log "record: backup.runs in $db"
psql -X -q -v ON_ERROR_STOP=1 --single-transaction -d "$db" -v file="$final" -v bytes="$bytes" \
    -c 'SET LOCAL client_min_messages = warning' -f "$log_sql" -f - <<'EOF' || die "could not record the run in backup.runs (the dump $final is kept)"
INSERT INTO backup.runs (file, bytes) VALUES (:'file', :'bytes');
EOF

log "done: $final"
