#!/bin/sh
# Backs up one PostgreSQL database as a custom-format dump (pg_dump -Fc), prunes old dumps and
# records the success in the database itself (table backup.runs, see backup-log.sql).
#
#   1. pg_dump -Fc into $BACKUP_DIR/.<db>-<UTC timestamp>.dump.<pid>.partial
#   2. pg_restore --list must read it; only then it is renamed to <db>-<YYYYmmddTHHMMSSZ>.dump,
#      so a partial or broken file never looks like a backup
#   3. deletes <db>-*.dump (and stale partials) older than $BACKUP_RETENTION_DAYS days
#   4. records the run in backup.runs (record-run.sh: backup-log.sql, then the row)
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

script_dir=$(cd -P -- "$(dirname -- "$0")" && pwd)
. "$script_dir/common.sh"

no_arguments "$@"

db=${PGDATABASE:-}

if [ -z "$db" ]; then
    usage >&2
    die "PGDATABASE is not set: set it to the database to back up"
fi
case $db in
    */*|*=*|*'*'*|*'?'*|*'['*|*' '*)
        die "PGDATABASE='$db': use a plain database name (it becomes part of the file name)" ;;
esac
check_settings pg_dump pg_restore psql

log "start: database $db on ${PGHOST:-<libpq default host>}:${PGPORT:-5432} as ${PGUSER:-<libpq default user>}, dir $backup_dir, retention $retention days"

prepare_backup_dir

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
delete_older_than "$final" -type f \( -name "$pattern" -o -name ".$pattern.*.partial" \)
kept=$(find "$backup_dir" -maxdepth 1 -type f -name "$pattern" | wc -l | tr -d ' ')
log "retention: deleted $removed, kept $kept dumps of $db"

log "record: backup.runs in $db"
BACKUP_LOG_SQL=$log_sql sh "$script_dir/record-run.sh" dump "$final" "$bytes" ||
    die "could not record the run in backup.runs (the dump $final is kept)"

log "done: $final"
