#!/bin/sh
# Entrypoint of the optional streaming standby (docker-compose --profile standby up -d), run as
# the postgres user. At its first start (an empty data volume) it copies the primary with
# pg_basebackup -R, which also writes standby.signal and primary_conninfo (with
# application_name=$STANDBY_NAME, the name synchronous_standby_names refers to, and the
# replication user's password); then, at this and every later start, it runs the server, which
# streams WAL from the primary and answers read-only queries until it is promoted.
set -eu
: "${PGDATA:=/var/lib/postgresql/data}"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  # The server refuses a data folder others may read; the image leaves the volume's open.
  chmod 700 "$PGDATA"
  echo "standby: copying $PRIMARY_HOST:$PRIMARY_PORT with pg_basebackup" >&2
  # The primary may still be starting: retry, from an empty folder, until the copy succeeds.
  until pg_basebackup -D "$PGDATA" -X stream -R -c fast \
    -d "host=$PRIMARY_HOST port=$PRIMARY_PORT user=$REPLICATION_USER application_name=$STANDBY_NAME"; do
    find "$PGDATA" -mindepth 1 -delete
    sleep 5
  done
fi
exec postgres -c config_file=/etc/postgresql/postgresql.conf "$@"
