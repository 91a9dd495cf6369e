# Sourced by backup.sh and basebackup.sh, after they set prog and script_dir and define usage():
# their arguments (none), logging, the settings both read, the removal of a backup left
# incomplete, and retention.

log() { printf '%s %s: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$prog" "$*"; }
die() { log "ERROR: $*" >&2; exit 1; }

# The backup being written (a file or a folder) goes if the script stops before it is complete;
# the script empties tmp once the backup has its final name.
tmp=
remove_partial() {
    if [ -n "$tmp" ] && [ -e "$tmp" ]; then
        rm -rf -- "$tmp"
    fi
}
trap remove_partial EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# no_arguments "$@": the scripts take none but --help, which prints their usage().
no_arguments() {
    [ $# -gt 0 ] || return 0
    case $1 in
        -h|--help) usage; exit 0 ;;
        *) usage >&2; exit 2 ;;
    esac
}

# check_settings PROGRAM...: sets backup_dir, retention and log_sql from BACKUP_DIR,
# BACKUP_RETENTION_DAYS and BACKUP_LOG_SQL, refusing bad values, and checks the programs exist.
check_settings() {
    backup_dir=${BACKUP_DIR:-/backups}
    # find prints entries as DIR/NAME: without a trailing slash, they compare with our own paths.
    while [ "${#backup_dir}" -gt 1 ] && [ "${backup_dir%/}" != "$backup_dir" ]; do
        backup_dir=${backup_dir%/}
    done
    retention=${BACKUP_RETENTION_DAYS:-7}
    log_sql=${BACKUP_LOG_SQL:-$script_dir/backup-log.sql}
    case $retention in
        ''|*[!0-9]*) die "BACKUP_RETENTION_DAYS='$retention' is not a whole number of days" ;;
    esac
    if [ ! -f "$log_sql" ] || [ ! -r "$log_sql" ]; then
        die "bookkeeping SQL not readable: $log_sql (BACKUP_LOG_SQL)"
    fi
    for tool in "$@"; do
        command -v "$tool" >/dev/null 2>&1 || die "$tool not found in PATH"
    done
}

# Creates the backup folder if needed; it must be writable.
prepare_backup_dir() {
    mkdir -p -- "$backup_dir" || die "cannot create $backup_dir"
    [ -w "$backup_dir" ] || die "$backup_dir is not writable"
}

# delete_older_than KEEP FIND_TEST...: deletes the entries of the backup folder that the find
# tests select and that are older than the retention, except KEEP, logging each; sets removed.
delete_older_than() {
    keep=$1
    shift
    old=$(find "$backup_dir" -mindepth 1 -maxdepth 1 "$@" -mtime "+$retention") ||
        die "cannot list old backups in $backup_dir"
    removed=0
    [ -n "$old" ] || return 0
    nl='
'
    saved_ifs=$IFS
    IFS=$nl
    set -f
    for f in $old; do
        IFS=$saved_ifs
        [ "$f" = "$keep" ] && continue
        rm -rf -- "$f" || die "cannot delete $f"
        log "retention: deleted $f"
        removed=$((removed + 1))
    done
    set +f
    IFS=$saved_ifs
}
