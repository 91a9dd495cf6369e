#!/bin/sh
# Takes a physical base backup of the whole PostgreSQL cluster: the starting point that archived
# WAL is replayed onto for point-in-time recovery (restore-pitr.sh). The daily pg_dump files
# cannot serve for that: WAL only replays onto a physical copy. Then deletes base backups older
# than the retention, and the archived WAL that only they needed, so the archive stops growing.
#
#   1. pg_basebackup -Ft -z -X stream -c fast into $BACKUP_DIR/.base-<UTC stamp>.<pid>.partial
#   2. both archives must list and the backup_label must name its first WAL segment; only then
#      the folder is renamed to base-<YYYYmmddTHHMMSSZ>, so such a folder is always complete
#   3. records the run in backup.runs of $PGDATABASE, kind base (record-run.sh)
#   4. deletes base-* folders (and stale partials) older than $BACKUP_RETENTION_DAYS days,
#      counted like find -mtime +N; never the one just taken
#   5. pg_archivecleanup $WAL_ARCHIVE_DIR <lowest first WAL segment of the base backups kept>:
#      lower segments can no longer be replayed onto any kept base backup
# A failure stops the run with a non-zero exit status; a failed backup deletes nothing.
#
# Environment:
#   PGHOST PGPORT PGUSER PGPASSWORD (or PGPASSFILE...)  libpq connection; the user needs the
#                          REPLICATION attribute (a superuser has it) and a "replication" line in
#                          pg_hba.conf (deploy/postgres/initdb/replication.sh adds it)
#   WAL_ARCHIVE_DIR        (required) the folder archive_command copies WAL into, mounted here
#   PGDATABASE             (required) the database whose backup.runs records the run
#   BACKUP_DIR             where base backups go (default /backups; created if missing)
#   BACKUP_RETENTION_DAYS  base backups older than this many days are deleted (default 7)
set -eu

prog=basebackup.sh
usage() {
    cat <<'EOF'
Usage: basebackup.sh
Takes a base backup of the cluster (pg_basebackup) into $BACKUP_DIR/base-<YYYYmmddTHHMMSSZ>,
deletes base backups older than $BACKUP_RETENTION_DAYS days, then the WAL in $WAL_ARCHIVE_DIR
older than the oldest base backup kept.

Environment: WAL_ARCHIVE_DIR and PGDATABASE (required), PGHOST, PGPORT, PGUSER, PGPASSWORD
  (libpq), BACKUP_DIR (default /backups), BACKUP_RETENTION_DAYS (default 7),
  BACKUP_LOG_SQL (default: backup-log.sql beside this script).
Exit status: 0 when the base backup was written, verified and recorded in backup.runs, and the
old ones and their WAL pruned.
EOF
}

script_dir=$(cd -P -- "$(dirname -- "$0")" && pwd)
. "$script_dir/common.sh"

no_arguments "$@"

archive=${WAL_ARCHIVE_DIR:-}

if [ -z "$archive" ]; then
    usage >&2
    die "WAL_ARCHIVE_DIR is not set: set it to the folder archive_command copies WAL into"
fi
[ -d "$archive" ] || die "WAL_ARCHIVE_DIR='$archive' is not a folder"
[ -n "${PGDATABASE:-}" ] || die "PGDATABASE is not set: set it to the database whose backup.runs records the run"
check_settings pg_basebackup pg_archivecleanup psql tar

log "start: cluster on ${PGHOST:-<libpq default host>}:${PGPORT:-5432} as ${PGUSER:-<libpq default user>}, dir $backup_dir, WAL archive $archive, retention $retention days"

prepare_backup_dir

stamp=$(date -u +%Y%m%dT%H%M%SZ)
final=$backup_dir/base-$stamp
[ ! -e "$final" ] || die "$final already exists (another base backup in the same second?)"
tmp=$backup_dir/.base-$stamp.$$.partial

log "base backup: pg_basebackup -Ft -z -X stream -c fast -> $tmp"
pg_basebackup -D "$tmp" -Ft -z -X stream -c fast --label="event-worker $stamp" ||
    die "pg_basebackup failed; no base backup written"

log "verify: tar lists base.tar.gz and pg_wal.tar.gz"
tar -tzf "$tmp/base.tar.gz" >/dev/null || die "base.tar.gz is not readable; discarded"
tar -tzf "$tmp/pg_wal.tar.gz" >/dev/null || die "pg_wal.tar.gz is not readable; discarded"

# The backup_label inside names the first WAL segment a recovery from this backup reads:
# START WAL LOCATION: 0/2000028 (file 000000010000000000000002)
first_wal() {
    tar -xzOf "$1/base.tar.gz" backup_label 2>/dev/null |
        sed -n 's/^START WAL LOCATION: .*(file \([0-9A-F]\{24\}\))$/\1/p'
}
start=$(first_wal "$tmp")
[ -n "$start" ] || die "no START WAL LOCATION in the backup_label of $tmp; discarded"

mv -f -- "$tmp" "$final" || die "cannot rename $tmp to $final"
tmp=
bytes=$(cat "$final"/*.tar.gz | wc -c | tr -d ' ')
log "saved: $final ($bytes bytes, starts at WAL segment $start)"

log "record: backup.runs in $PGDATABASE"
BACKUP_LOG_SQL=$log_sql sh "$script_dir/record-run.sh" base "$final" "$bytes" ||
    die "could not record the run in backup.runs (the base backup $final is kept)"

log "retention: deleting base backups older than $retention days from $backup_dir"
d='[0-9]'
pattern="base-$d$d$d$d$d$d$d${d}T$d$d$d$d$d${d}Z"
delete_older_than "$final" -type d \( -name "$pattern" -o -name ".$pattern.*.partial" \)
kept=$(find "$backup_dir" -mindepth 1 -maxdepth 1 -type d -name "$pattern" | wc -l | tr -d ' ')
log "retention: deleted $removed, kept $kept base backups"

# The archive keeps what every kept base backup needs: from the lowest first segment among them.
# pg_archivecleanup compares segment numbers and ignores the timeline (a name's first 8
# characters), and after a point-in-time restore the new timeline reuses numbers lower than
# those of base backups taken later on the old one: so the lowest number counts, not the oldest
# backup. Each line: number, segment, backup.
starts=$(find "$backup_dir" -mindepth 1 -maxdepth 1 -type d -name "$pattern" | while IFS= read -r b; do
    s=$(first_wal "$b")
    printf '%s %s %s\n' "${s#????????}" "${s:-none}" "$b"
done | sort)
unlabelled=$(printf '%s\n' "$starts" | grep ' none ' | cut -d' ' -f3-) || true
[ -z "$unlabelled" ] || die "no START WAL LOCATION in the backup_label of $unlabelled; the WAL archive is left as it is"
lowest=$(printf '%s\n' "$starts" | head -n 1)
keep_from=$(printf '%s\n' "$lowest" | cut -d' ' -f2)
[ -n "$keep_from" ] || die "no base backup found in $backup_dir; the WAL archive is left as it is"
before=$(find "$archive" -mindepth 1 -maxdepth 1 -type f | wc -l | tr -d ' ')
log "WAL archive: pg_archivecleanup $archive $keep_from (the first segment of $(printf '%s\n' "$lowest" | cut -d' ' -f3-))"
pg_archivecleanup "$archive" "$keep_from" || die "pg_archivecleanup failed"
after=$(find "$archive" -mindepth 1 -maxdepth 1 -type f | wc -l | tr -d ' ')
log "WAL archive: deleted $((before - after)) files numbered below $keep_from, kept $after"

log "done: $final"
