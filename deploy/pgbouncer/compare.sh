#!/usr/bin/env bash
# Drains the same queue directly and through PgBouncer in session and in transaction pooling, in
# alternating rounds, and prints the events per second of each (docs/SCALING.md, "Through
# PgBouncer"). "unprepared" is the direct connection without named server-side prepared statements
# (prepareThreshold=0, as through transaction pooling), to tell that cost from PgBouncer's. Both PgBouncers run deploy/pgbouncer/pgbouncer.ini with the addresses, trust
# authentication and pool_mode replaced. Needs target/event-worker.jar (mvn -B package
# -DskipTests), psql and pgbouncer (deploy/local/install-tools.sh), and a local PostgreSQL 15 on
# PGHOST:PGPORT (127.0.0.1:5432) where PGUSER (postgres) connects without a password.
#   EVENTS=100000 ROUNDS=2 WORKER_THREADS=4 bash deploy/pgbouncer/compare.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

EVENTS=${EVENTS:-100000}
ROUNDS=${ROUNDS:-2}
HOST=${PGHOST:-127.0.0.1}
PORT=${PGPORT:-5432}
ROLE=${PGUSER:-postgres}
DB=ew_pgbouncer_compare
JAR=target/event-worker.jar
[ -f "$JAR" ] || { echo "compare: $JAR is missing: mvn -B package -DskipTests" >&2; exit 1; }
command -v pgbouncer >/dev/null || { echo "compare: run bash deploy/local/install-tools.sh" >&2; exit 1; }

dir=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  psql -q -h "$HOST" -p "$PORT" -U "$ROLE" -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT

sql() { psql -qAtX -h "$HOST" -p "$PORT" -U "$ROLE" -d "$DB" -c "$1"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

PGOPTIONS='-c client_min_messages=warning' psql -q -h "$HOST" -p "$PORT" -U "$ROLE" -d postgres \
  -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB" >/dev/null
direct="postgresql://$ROLE@$HOST:$PORT/$DB"
DATABASE_URL=$direct java -jar "$JAR" migrate >/dev/null
awk -v n="$EVENTS" 'BEGIN { for (i = 1; i <= n; i++)
  if (i % 2) printf "{\"event_type\":\"data_entry\",\"user_id\":null,\"data\":{\"key\":\"k-%d\",\"value\":%d}}\n", i, i;
  else printf "{\"event_type\":\"metric\",\"user_id\":null,\"data\":{\"name\":\"m-%d\",\"value\":%d.5}}\n", i, i }' >"$dir/events.ndjson"

declare -A url=([none]=$direct [unprepared]="$direct?prepareThreshold=0")
declare -A pooler=([none]=none [unprepared]=none [session]=session [transaction]=transaction)
echo "\"$ROLE\" \"\"" >"$dir/userlist.txt"
for mode in session transaction; do
  port=$(free_port)
  sed -e "s|^events = .*|$DB = host=$HOST port=$PORT dbname=$DB user=$ROLE|" \
      -e "s|^listen_addr = .*|listen_addr = 127.0.0.1|" -e "s|^listen_port = .*|listen_port = $port|" \
      -e "s|^auth_type = .*|auth_type = trust|" -e "s|^auth_file = .*|auth_file = $dir/userlist.txt|" \
      -e "s|^pool_mode = .*|pool_mode = $mode|" deploy/pgbouncer/pgbouncer.ini >"$dir/$mode.ini"
  echo "unix_socket_dir =" >>"$dir/$mode.ini"
  as=(); [ "$(id -u)" -eq 0 ] && as=(-u postgres) && chown -R postgres "$dir"
  pgbouncer "${as[@]}" "$dir/$mode.ini" >"$dir/$mode.log" 2>&1 &
  pids+=($!)
  url[$mode]="postgresql://$ROLE@127.0.0.1:$port/$DB"
done

printf '%-12s %5s %8s %9s %9s\n' connection round events seconds events/s
for round in $(seq 1 "$ROUNDS"); do
  for mode in none unprepared session transaction; do
    sql "TRUNCATE events, data_entries, metrics RESTART IDENTITY"
    DATABASE_URL=$direct java -jar "$JAR" enqueue --file "$dir/events.ndjson" >/dev/null
    sql "VACUUM ANALYZE events"
    http=$(free_port)
    DATABASE_URL=${url[$mode]} DB_POOLER=${pooler[$mode]} HTTP_PORT=$http HTTP_HOST=127.0.0.1 \
      java -jar "$JAR" run >"$dir/worker-$mode-$round.log" 2>&1 &
    worker=$!
    pids+=("$worker")
    until curl -sf "http://127.0.0.1:$http/health/ready" >/dev/null; do sleep 0.05; done
    start=$(date +%s.%N)
    until [ "$(sql "SELECT count(*) FROM events WHERE status = 'pending'")" = 0 ]; do sleep 0.1; done
    end=$(date +%s.%N)
    kill -TERM "$worker"
    wait "$worker" || true
    done_count=$(sql "SELECT count(*) FROM events WHERE status = 'processed'")
    awk -v m="$mode" -v r="$round" -v n="$done_count" -v s="$start" -v e="$end" \
      'BEGIN { printf "%-12s %5d %8d %9.2f %9.0f\n", m, r, n, e - s, n / (e - s) }'
  done
done
