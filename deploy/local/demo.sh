#!/usr/bin/env bash
# Runs event-worker on real events against the local PostgreSQL, from a fresh clone:
# starts PostgreSQL if it is down, builds the jar if needed, creates the database
# event_worker_demo (init.sql, as the original description's container does, then `migrate`), loads sample
# events with `enqueue --file`, runs the worker until they are processed, shows the result,
# and stops it with SIGTERM. With --keep-running the worker stays up (Ctrl-C stops it).
#
# Settings: PGHOST (127.0.0.1), PGPORT (5432), PGUSER (postgres), DEMO_DATABASE
# (event_worker_demo), DEMO_EVENTS (2000), HTTP_PORT (8080); any worker variable
# from README.md (WORKER_THREADS, BATCH_SIZE...) is passed through.
set -euo pipefail
cd "$(dirname "$0")/../.."

export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres}
db=${DEMO_DATABASE:-event_worker_demo}
events=${DEMO_EVENTS:-2000}
export HTTP_PORT=${HTTP_PORT:-8080}
# Refresh the queue-depth gauges every second (default 5 s) so the numbers shown are current.
export QUEUE_METRICS_INTERVAL=${QUEUE_METRICS_INTERVAL:-1s}
export DATABASE_URL="postgresql://${PGUSER}@${PGHOST}:${PGPORT}/${db}"
keep_running=false
[ "${1:-}" = "--keep-running" ] && keep_running=true
jar=target/event-worker.jar
step() { printf '\n==> %s\n' "$*"; }

step "PostgreSQL at ${PGHOST}:${PGPORT}"
if ! pg_isready -q; then
  if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql/15/main ]; then
    pg_ctlcluster --skip-systemctl-redirect 15 main start
    for _ in $(seq 1 30); do pg_isready -q && break; sleep 1; done
  fi
  pg_isready || { echo "PostgreSQL is not answering at ${PGHOST}:${PGPORT}" >&2; exit 1; }
fi
psql -Atqc "select version()"

if [ ! -f "$jar" ] || [ -n "$(find src database pom.xml -newer "$jar" -print -quit)" ]; then
  step "building $jar"
  # Maven writes colour resets even in batch mode with colour off: strip them.
  mvn -B -q -Dstyle.color=never package -DskipTests 2>&1 | sed 's/\x1b\[[0-9;]*m//g'
fi

step "database ${db}: the original description's init.sql, sample users, then event-worker migrate"
# A first run has no database to drop: no NOTICE saying so.
PGOPTIONS='-c client_min_messages=warning' dropdb --if-exists --force "$db"
createdb "$db"
psql -q -v ON_ERROR_STOP=1 -d "$db" -f database/init.sql
psql -q -v ON_ERROR_STOP=1 -d "$db" -c \
  "INSERT INTO users (name, email) VALUES ('Ada', 'ada@example.com'), ('Grace', 'grace@example.com'), ('Linus', 'linus@example.com')"
java -jar "$jar" migrate

step "enqueue --file: ${events} events, one in a hundred invalid"
sample=$(mktemp --suffix=.ndjson)
trap 'rm -f "$sample"' EXIT
for i in $(seq 1 "$events"); do
  user=$(( i % 3 + 1 ))
  if (( i % 100 == 0 )); then
    echo "{\"event_type\":\"metric\",\"user_id\":$user,\"data\":{\"name\":\"broken-$i\",\"value\":\"not a number\"}}"
  elif (( i % 2 )); then
    echo "{\"event_type\":\"data_entry\",\"user_id\":$user,\"data\":{\"key\":\"setting-$i\",\"value\":{\"enabled\":true},\"type\":\"preference\"}}"
  else
    echo "{\"event_type\":\"metric\",\"user_id\":$user,\"data\":{\"name\":\"request_ms\",\"value\":$(( i % 250 )).5,\"tags\":{\"route\":\"/api\"}}}"
  fi
done > "$sample"
java -jar "$jar" enqueue --file "$sample"
java -jar "$jar" status

step "event-worker run (metrics and health on http://localhost:${HTTP_PORT})"
java -jar "$jar" run &
worker=$!
for _ in $(seq 1 300); do
  pending=$(psql -Atqd "$db" -c "select count(*) from events where status = 'pending'")
  [ "$pending" = 0 ] && break
  kill -0 "$worker" 2>/dev/null || { echo "the worker exited early" >&2; exit 1; }
  sleep 0.2
done

step "processed: event-worker status"
java -jar "$jar" status
psql -d "$db" -c "SELECT status, count(*), max(last_error) AS example_error FROM events GROUP BY status ORDER BY status"
psql -d "$db" -c "SELECT 'data_entries' AS table_name, count(*) FROM data_entries UNION ALL SELECT 'metrics', count(*) FROM metrics"

step "the original description's own report on the worker's rows: get_user_statistics(1), user 1 (Ada)"
psql -d "$db" -c "SELECT * FROM get_user_statistics(1)"

step "a few of the worker's metrics (curl localhost:${HTTP_PORT}/metrics)"
for _ in $(seq 1 50); do
  curl -fs "localhost:${HTTP_PORT}/health/ready" >/dev/null && break
  sleep 0.1
done
curl -fs "localhost:${HTTP_PORT}/health/ready"
sleep 1.2
curl -fs "localhost:${HTTP_PORT}/metrics" | grep -E '^eventworker_(events_total|event_latency_seconds_count|queue_depth)' || true

if $keep_running; then
  step "the worker keeps running (pid ${worker}); Ctrl-C stops it. Try: java -jar $jar enqueue --type metric --data '{\"name\":\"x\",\"value\":1}'"
  trap 'kill -TERM "$worker" 2>/dev/null' INT TERM
  wait "$worker" || true
  exit 0
fi

step "SIGTERM: the worker finishes its batches and exits"
kill -TERM "$worker"
status=0
wait "$worker" || status=$?
echo "worker exited with status ${status}"
exit "$status"
