#!/bin/bash
# docker-entrypoint.sh of the postgres:15-alpine stand-in: the official image's contract, written
# anew for Debian's postgresql-15. On an empty $PGDATA it runs initdb as $POSTGRES_USER with
# $POSTGRES_PASSWORD, creates $POSTGRES_DB, runs /docker-entrypoint-initdb.d (*.sql with psql,
# executable *.sh run, other *.sh sourced, in name order) against a server that listens on its
# socket only, started with the container's own arguments; then it execs the server.
set -Eeuo pipefail

log() { printf '%s docker-entrypoint.sh: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2; }

if [ "${1:0:1}" = '-' ]; then
  set -- postgres "$@"
fi

if [ "$1" != postgres ]; then
  exec "$@"
fi

if [ "$(id -u)" = 0 ]; then
  install -d -o postgres -g postgres -m 700 "$PGDATA"
  install -d -o postgres -g postgres -m 3775 /var/run/postgresql
  exec setpriv --reuid=postgres --regid=postgres --init-groups "$BASH_SOURCE" "$@"
fi

process_sql() {
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --no-password --no-psqlrc --dbname "$POSTGRES_DB" "$@"
}

initialise() {
  local auth=${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}
  if [ -z "${POSTGRES_PASSWORD:-}" ] && [ "$auth" != trust ]; then
    log "ERROR: the database is uninitialised and POSTGRES_PASSWORD is not set (or set POSTGRES_HOST_AUTH_METHOD=trust)"
    exit 1
  fi
  # shellcheck disable=SC2086 # POSTGRES_INITDB_ARGS is a list of words, as in the official image
  initdb --username="$POSTGRES_USER" --pwfile=<(printf '%s\n' "${POSTGRES_PASSWORD:-}") ${POSTGRES_INITDB_ARGS:-}
  printf '\nhost all all all %s\n' "$auth" >> "$PGDATA/pg_hba.conf"

  export PGPASSWORD=${PGPASSWORD:-${POSTGRES_PASSWORD:-}}
  shift # "postgres": the rest are the server's own options, used by the temporary server too
  pg_ctl -D "$PGDATA" -w start -o "$(printf '%q ' "$@" -c listen_addresses='' -p "${PGPORT:-5432}")"

  if [ "$POSTGRES_DB" != postgres ]; then
    POSTGRES_DB=postgres process_sql --set db="$POSTGRES_DB" <<<'CREATE DATABASE :"db";'
  fi
  local f
  for f in /docker-entrypoint-initdb.d/*; do
    case $f in
      *.sh)
        if [ -x "$f" ]; then log "running $f"; "$f"; else log "sourcing $f"; . "$f"; fi ;;
      *.sql) log "running $f"; process_sql -f "$f" ;;
      *.sql.gz) log "running $f"; gunzip -c "$f" | process_sql ;;
      *) [ -e "$f" ] && log "ignoring $f" ;;
    esac
  done
  unset PGPASSWORD
  pg_ctl -D "$PGDATA" -m fast -w stop
  log "PostgreSQL init process complete; ready for start up."
}

export POSTGRES_USER=${POSTGRES_USER:-postgres}
export POSTGRES_DB=${POSTGRES_DB:-$POSTGRES_USER}
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  initialise "$@"
else
  log "PostgreSQL database directory appears to contain a database; skipping initialisation"
fi
exec "$@"
