#!/bin/sh
# Entrypoint of the backup Compose service (image postgres:15-alpine: pg_dump, pg_restore, psql
# and busybox crond). Mount this directory at /opt/backup (any path works) and the dump volume at
# $BACKUP_DIR (default /backups).
#
#   entrypoint.sh        save the backup settings for cron jobs to /run/backup.env, install the
#                        crontab beside this script (daily 02:00) and run `crond -f -l 8` in the
#                        foreground, as PID 1, so the container stays up
#   entrypoint.sh now    run one dump (backup.sh) and one base backup (basebackup.sh) now; exit
#                        non-zero if either failed
#
# Environment (passed on to the scripts): PGHOST PGPORT PGUSER PGPASSWORD PGPASSFILE PGDATABASE
# PGSSLMODE PGCONNECT_TIMEOUT BACKUP_DIR BACKUP_RETENTION_DAYS BACKUP_LOG_SQL WAL_ARCHIVE_DIR TZ;
# BACKUP_ENV_FILE (default /run/backup.env; the crontab reads /run/backup.env).
set -eu

prog=entrypoint.sh
usage() {
    cat <<'USAGE'
Usage: entrypoint.sh [now]
  (no argument)  install the crontab (backup.sh daily at 02:00, basebackup.sh at 02:30) and run
                 crond in the foreground
  now            run backup.sh, then basebackup.sh; exit non-zero if either failed
USAGE
}
log() { printf '%s %s: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$prog" "$*"; }
die() { log "ERROR: $*" >&2; exit 1; }

script_dir=$(cd -P -- "$(dirname -- "$0")" && pwd)

case $# in
    0) ;;
    1) case $1 in
           now)
               status=0
               sh "$script_dir/backup.sh" || status=1
               sh "$script_dir/basebackup.sh" || status=1
               exit $status ;;
           -h|--help) usage; exit 0 ;;
           *) usage >&2; exit 2 ;;
       esac ;;
    *) usage >&2; exit 2 ;;
esac

[ -n "${PGDATABASE:-}" ] || die "PGDATABASE is not set: set it (and PGHOST, PGUSER, PGPASSWORD) in the service's environment"
command -v crond >/dev/null 2>&1 || die "crond not found (expected busybox crond, as in the Alpine images)"
command -v crontab >/dev/null 2>&1 || die "crontab not found (expected busybox crontab)"

# Save the settings for the cron job, single-quoted, readable by root only (it holds the password).
env_file=${BACKUP_ENV_FILE:-/run/backup.env}
umask 077
: > "$env_file" || die "cannot write $env_file"
for var in PGHOST PGPORT PGUSER PGPASSWORD PGPASSFILE PGDATABASE PGSSLMODE PGCONNECT_TIMEOUT \
    BACKUP_DIR BACKUP_RETENTION_DAYS BACKUP_LOG_SQL WAL_ARCHIVE_DIR TZ; do
    isset=
    value=
    eval "isset=\${$var+x}"
    [ -n "$isset" ] || continue
    eval "value=\$$var"
    quoted=$(printf '%s\n' "$value" | sed "s/'/'\\\\''/g")
    printf "export %s='%s'\n" "$var" "$quoted" >> "$env_file"
done
log "saved the backup settings for cron in $env_file"

sed -e "s#/opt/backup/#$script_dir/#g" -e "s#/run/backup.env#$env_file#g" "$script_dir/crontab" | crontab - ||
    die "cannot install the crontab"
log "installed crontab: $(grep -v '^#' "$script_dir/crontab" | sed -e "s#/opt/backup/#$script_dir/#g" -e "s#/run/backup.env#$env_file#g")"
log "starting crond in the foreground (backups in ${BACKUP_DIR:-/backups}, retention ${BACKUP_RETENTION_DAYS:-7} days)"
exec crond -f -l 8
