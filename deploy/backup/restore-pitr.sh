#!/bin/sh
# Prepares a PostgreSQL data folder for point-in-time recovery: unpacks a base backup taken by
# basebackup.sh and tells the server to replay archived WAL onto it, up to a given time (or to
# the end of the archive), then to promote and accept writes. Starting PostgreSQL on the folder
# runs the recovery; the server log says where it stopped ("recovery stopping before commit of
# transaction ...", then "archive recovery complete").
#
# Environment:
#   WAL_ARCHIVE_DIR  (required) the WAL archive as the server will see it; restore_command copies
#                    from there
set -eu

prog=restore-pitr.sh
usage() {
    cat <<'EOF'
Usage: restore-pitr.sh [--target-time TIME] BASE_BACKUP DATA_DIR
Unpacks BASE_BACKUP (a base-<YYYYmmddTHHMMSSZ> folder made by basebackup.sh) into DATA_DIR
(missing or empty) and sets it up to replay the WAL in $WAL_ARCHIVE_DIR up to TIME (a timestamp
with its time zone, such as '2026-11-25 03:10:00+00' or '... UTC'; default: all of it), then
promote. Start PostgreSQL on DATA_DIR to run the recovery. The time must be after BASE_BACKUP
ended.

Environment: WAL_ARCHIVE_DIR (required).
Exit status: 0 when DATA_DIR is ready to start; non-zero otherwise, with DATA_DIR left as found.
EOF
}

log() { printf '%s %s: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$prog" "$*"; }
die() { log "ERROR: $*" >&2; exit 1; }

target_time=
while [ $# -gt 0 ]; do
    case $1 in
        -h|--help) usage; exit 0 ;;
        --target-time)
            [ $# -ge 2 ] || { usage >&2; die "--target-time needs a value"; }
            target_time=$2
            shift 2 ;;
        --) shift; break ;;
        -*) usage >&2; die "unknown option $1" ;;
        *) break ;;
    esac
done
[ $# -eq 2 ] || { usage >&2; exit 2; }
base=$1
data=$2
archive=${WAL_ARCHIVE_DIR:-}

[ -n "$archive" ] || die "WAL_ARCHIVE_DIR is not set: set it to the WAL archive as the server sees it"
# The time zone is required: without one the server would read the time in its own zone.
case $target_time in
    '') ;;
    [0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]\ [0-9][0-9]:[0-9][0-9]:[0-9][0-9]*[+-][0-9][0-9] | \
    [0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]\ [0-9][0-9]:[0-9][0-9]:[0-9][0-9]*[+-][0-9][0-9]:[0-9][0-9] | \
    [0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]\ [0-9][0-9]:[0-9][0-9]:[0-9][0-9]*\ UTC) ;;
    *) die "--target-time '$target_time': expected a timestamp with its time zone, such as '2026-11-25 03:10:00+00'" ;;
esac
case $archive$target_time in
    *"'"*) die "WAL_ARCHIVE_DIR and --target-time may not contain a single quote" ;;
esac
[ -f "$base/base.tar.gz" ] && [ -f "$base/pg_wal.tar.gz" ] ||
    die "$base is not a base backup made by basebackup.sh (base.tar.gz and pg_wal.tar.gz expected)"
# pg_basebackup writes one more archive per tablespace: this script would leave them out.
for f in "$base"/*.tar.gz; do
    case ${f##*/} in
        base.tar.gz|pg_wal.tar.gz) ;;
        *) die "$base holds $f, a tablespace: restore-pitr.sh restores only the main data folder" ;;
    esac
done
if [ -e "$data" ]; then
    [ -d "$data" ] || die "$data exists and is not a folder"
    [ -z "$(ls -A -- "$data")" ] || die "$data is not empty: move the old data folder aside first"
    created=
else
    created=yes
fi

failed() {
    # Leave DATA_DIR as found: empty, or gone if this run created it.
    if [ -d "$data" ]; then
        find "$data" -mindepth 1 -maxdepth 1 -exec rm -rf -- {} +
        [ -z "$created" ] || rmdir -- "$data"
    fi
    die "$1"
}

trap 'failed "interrupted"' INT TERM

log "unpack: $base -> $data"
mkdir -p -- "$data" || die "cannot create $data"
chmod 700 "$data" || failed "cannot make $data private (PostgreSQL requires mode 700)"
tar -xzf "$base/base.tar.gz" -C "$data" || failed "cannot unpack $base/base.tar.gz"
mkdir -p "$data/pg_wal" && tar -xzf "$base/pg_wal.tar.gz" -C "$data/pg_wal" ||
    failed "cannot unpack $base/pg_wal.tar.gz"

# postgresql.auto.conf is read after postgresql.conf, and a later line wins over an earlier one:
# every recovery target is set here, empty when unused, because the base backup may carry the
# settings of an earlier restore of the cluster it copied.
{
    printf '\n# Point-in-time recovery, set by restore-pitr.sh from %s\n' "$base"
    printf "restore_command = 'cp \"%s/%%f\" \"%%p\"'\n" "$archive"
    printf "recovery_target = ''\n"
    printf "recovery_target_lsn = ''\n"
    printf "recovery_target_name = ''\n"
    printf "recovery_target_xid = ''\n"
    printf "recovery_target_time = '%s'\n" "$target_time"
    printf "recovery_target_timeline = 'latest'\n"
    printf "recovery_target_action = 'promote'\n"
} >> "$data/postgresql.auto.conf" || failed "cannot write $data/postgresql.auto.conf"
: > "$data/recovery.signal" || failed "cannot write $data/recovery.signal"
if [ "$(id -u)" = 0 ] && id postgres >/dev/null 2>&1; then
    chown -R postgres:postgres "$data" || failed "cannot give $data to the postgres user"
fi

trap - INT TERM
log "ready: start PostgreSQL on $data; it replays WAL from $archive up to ${target_time:-the end of the archive}, then promotes"
