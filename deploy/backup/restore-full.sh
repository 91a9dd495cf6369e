#!/bin/sh
# Restores a whole custom-format dump (made by backup.sh, pg_dump -Fc) into a database: the
# original description's `pg_restore -U mockuser -d mockdb < backup.dump`, made safe:
#   pg_restore --no-owner --exit-on-error --single-transaction [--clean --if-exists] -d TARGET DUMP
# --single-transaction: either the whole dump is restored or the database is left unchanged.
#
# By default the target must be empty (e.g. just made with `createdb NAME`); the script refuses
# to restore over existing tables. With --clean the dump's objects are dropped first
# (--clean --if-exists) and recreated: use it to roll an existing database back to the dump.
# Objects that are not in the dump are left alone (e.g. the backup schema with backup.runs); if
# one of them depends on a dumped object (say a foreign key to users added after the dump), the
# DROP fails and nothing changes.
#
# Environment: PGHOST PGPORT PGUSER PGPASSWORD (libpq); PGDATABASE is the default TARGET_DB.
set -eu

prog=restore-full.sh
usage() {
    cat <<'EOF'
Usage: restore-full.sh [--clean] DUMP [TARGET_DB]
Restores the custom-format dump DUMP (from backup.sh) into TARGET_DB (default $PGDATABASE),
in one transaction: all or nothing.
  --clean   drop the dump's objects in TARGET_DB before recreating them (restore over an
            existing schema). Without it TARGET_DB must have no tables, e.g. a new database
            made with `createdb TARGET_DB`.
Connection: PGHOST, PGPORT, PGUSER, PGPASSWORD (libpq environment variables).
EOF
}

log() { printf '%s %s: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$prog" "$*"; }
die() { log "ERROR: $*" >&2; exit 1; }
usage_error() { usage >&2; printf '\n' >&2; die "$*"; }

clean=0
dump=
target=
npos=0
for arg in "$@"; do
    case $arg in
        -h|--help) usage; exit 0 ;;
        --clean) clean=1 ;;
        -*) usage_error "unknown option: $arg" ;;
        *)
            npos=$((npos + 1))
            case $npos in
                1) dump=$arg ;;
                2) target=$arg ;;
                *) usage_error "too many arguments" ;;
            esac ;;
    esac
done

[ -n "$dump" ] || usage_error "missing DUMP"
[ -n "$target" ] || target=${PGDATABASE:-}
[ -n "$target" ] || usage_error "no TARGET_DB given and PGDATABASE is not set"
[ -e "$dump" ] || die "dump file not found: $dump"
if [ ! -f "$dump" ] || [ ! -r "$dump" ]; then
    die "dump file is not a readable file: $dump"
fi
for tool in pg_restore psql; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool not found in PATH"
done

log "check: $dump"
pg_restore --list "$dump" >/dev/null || die "$dump is not a readable pg_dump custom-format (-Fc) archive"

log "check: database $target on ${PGHOST:-<libpq default host>}:${PGPORT:-5432}"
tables=$(psql -X -q -At -v ON_ERROR_STOP=1 -d "$target" -c "
    SELECT count(*) FROM pg_catalog.pg_class c
      JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
       AND n.nspname NOT IN ('pg_catalog', 'information_schema')
       AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp%'") ||
    die "cannot connect to database $target (does it exist? create an empty one with: createdb $target)"

if [ "$clean" -eq 1 ]; then
    mode="--clean --if-exists"
    log "restore: over the existing schema of $target ($tables relations): the dump's objects are dropped and recreated"
else
    mode=
    [ "$tables" -eq 0 ] ||
        die "database $target is not empty ($tables tables, views or sequences); restore into a new database (createdb NAME) or pass --clean to replace the dump's objects"
    log "restore: into empty database $target"
fi

# shellcheck disable=SC2086 # $mode is empty or two fixed words
pg_restore --no-owner --exit-on-error --single-transaction $mode -d "$target" "$dump" ||
    die "pg_restore failed; the transaction was rolled back and $target is unchanged"

after=$(psql -X -q -At -v ON_ERROR_STOP=1 -d "$target" -c "
    SELECT count(*) FROM pg_catalog.pg_class c
      JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
       AND n.nspname NOT LIKE 'pg\_toast%'") || after='?'
log "done: restored $dump into $target ($after tables there now)"
