#!/usr/bin/env bash
# End-to-end test of the Compose stack as a user runs it: docker-compose.yml with the worker image
# built from the Dockerfile, every service but Grafana (whose image cannot be had here: its
# dashboard's queries are run against the live Prometheus instead). One line per check; exits
# non-zero at the first that fails, after printing the services' logs. Leaves nothing behind.
#
#   deploy/local/stack-test.sh       (after deploy/local/images.sh where nothing can be pulled)
#
# Needs a running Docker engine, docker-compose, psql, javac/jar and python3 on the host, and the
# stack's ports free on 127.0.0.1 (5433, 8080-8082, 9090, 9093, 9187). STACK_KEEP=1 leaves the
# stack up after a failure, for a look.
set -euo pipefail
cd "$(dirname "$0")/../.."

export COMPOSE_PROJECT_NAME=ewstack
# A range, so that `--scale worker=3` gives each replica a port of its own.
export WORKER_PORT=8080-8082
env_file=$(mktemp)           # the documented defaults, whatever a developer's .env says
work=$(mktemp -d)
services=(mock-postgres migrate worker postgres-exporter prometheus alertmanager backup)
healthchecked=(mock-postgres worker postgres-exporter prometheus alertmanager)
shutdown_timeout=8           # the worker's SHUTDOWN_TIMEOUT default
extra=("$COMPOSE_PROJECT_NAME-dbdown" "$COMPOSE_PROJECT_NAME-handlers")

compose() { docker-compose --env-file "$env_file" "$@"; }
log() { printf '[stack] %s\n' "$*"; }
pass() { printf '[stack] PASS %s\n' "$*"; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
sql() { PGPASSWORD=mockpass psql -X -q -At -v ON_ERROR_STOP=1 -h 127.0.0.1 -p 5433 -U mockuser -d mockdb -c "$1"; }

cleanup() {
  docker rm -f "${extra[@]}" >/dev/null 2>&1 || true
  compose down -v --remove-orphans >/dev/null 2>&1 || true
  rm -rf "$env_file" "$work"
}
fail() {
  printf '[stack] FAIL %s\n' "$*" >&2
  compose ps >&2 || true
  compose logs --no-color --tail=40 "${services[@]}" 2>&1 | grep -v 'LOG:  duration:' >&2 || true
  if [ "${STACK_KEEP:-}" = 1 ]; then
    log "STACK_KEEP=1: the stack is left up; docker-compose -p $COMPOSE_PROJECT_NAME down -v removes it"
    trap - EXIT
  fi
  exit 1
}
trap cleanup EXIT

# until SECONDS DESCRIPTION COMMAND...: runs COMMAND every half second until it succeeds.
until_true() {
  local limit=$1 what=$2 deadline
  shift 2
  deadline=$(( $(date +%s) + limit ))
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$deadline" ] || fail "$what: not within ${limit} s"
    sleep 0.5
  done
}
container() { compose ps -q "$1" | head -n 1; }
health() { docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{end}}' "$(container "$1")"; }
is_healthy() { [ "$(health "$1")" = healthy ]; }
pending() { sql "SELECT count(*) FROM events WHERE status = 'pending' AND event_type IN ('data_entry', 'metric')"; }
drained() { [ "$(pending)" = 0 ]; }
pending_below() { [ "$(pending)" -lt "$1" ]; }
restarted_since() { [ "$(docker inspect -f '{{.RestartCount}}' "$1")" -gt "$2" ]; }
ready_inside() { docker exec "$1" wget -q -O /dev/null http://127.0.0.1:8080/health/ready; }
prom() { curl -fsS --get "http://127.0.0.1:9090/api/v1/$1" "${@:2}"; }

# insert_events TAG N: N events by plain INSERTs of up to 100,000 rows each, half data_entry and
# half metric, each with a key or name TAG-i of its own, so that its effect can be counted.
insert_events() {
  local tag=$1 n=$2 chunk=100000 from
  for (( from = 1; from <= n; from += chunk )); do
    sql "INSERT INTO events (event_type, user_id, data)
         SELECT CASE WHEN i % 2 = 0 THEN 'data_entry' ELSE 'metric' END, 1,
                CASE WHEN i % 2 = 0 THEN jsonb_build_object('key', '$tag-' || i, 'value', i)
                     ELSE jsonb_build_object('name', '$tag-' || i, 'value', i) END
         FROM generate_series($from, least($from + $chunk - 1, $n)) AS i" >/dev/null
  done
}

# exactly_once TAG N: every event of TAG processed once (attempts = 1) and its row written once.
exactly_once() {
  local tag=$1 n=$2 counts
  counts=$(sql "SELECT
      (SELECT count(*) FROM events WHERE data->>'key' LIKE '$tag-%' OR data->>'name' LIKE '$tag-%'),
      (SELECT count(*) FROM events WHERE (data->>'key' LIKE '$tag-%' OR data->>'name' LIKE '$tag-%')
                                     AND status = 'processed' AND attempts = 1),
      (SELECT count(*) FROM data_entries WHERE key LIKE '$tag-%') + (SELECT count(*) FROM metrics WHERE metric_name LIKE '$tag-%'),
      (SELECT count(DISTINCT key) FROM data_entries WHERE key LIKE '$tag-%') + (SELECT count(DISTINCT metric_name) FROM metrics WHERE metric_name LIKE '$tag-%')")
  IFS='|' read -r events processed rows distinct <<<"$counts"
  local lost=$(( n - distinct )) duplicated=$(( rows - distinct ))
  echo "events $events, processed once $processed, rows $rows, lost $lost, duplicated $duplicated"
  [ "$events" -eq "$n" ] && [ "$processed" -eq "$n" ] && [ "$lost" -eq 0 ] && [ "$duplicated" -eq 0 ]
}

processed_by() { # the processed-events counter of one worker container
  docker exec "$1" wget -q -O - http://127.0.0.1:8080/metrics |
    awk '/^eventworker_events_total\{.*result="processed"/ { sum += $NF } END { printf "%d", sum }'
}

for tool in docker docker-compose psql curl python3 javac jar; do
  command -v "$tool" >/dev/null || fail "missing $tool"
done
docker info >/dev/null 2>&1 || fail "no Docker engine answers"
compose down -v --remove-orphans >/dev/null 2>&1 || true

# --- 1. The image -------------------------------------------------------------------------
started=$(now)
compose build worker >"$work/build.log" 2>&1 || { tail -30 "$work/build.log" >&2; fail "docker-compose build worker"; }
pass "image event-worker:local built from the Dockerfile in $(since "$started") s"
secrets=$(docker image inspect -f '{{json .Config.Env}}' event-worker:local; docker history --no-trunc event-worker:local)
! grep -qiE 'mockpass|app_pass|readonly_pass|PASSWORD' <<<"$secrets" || fail "the image holds a password: $secrets"
[ "$(docker image inspect -f '{{.Config.User}}' event-worker:local)" = 10001:10001 ] || fail "the image does not run as 10001"
pass "the image runs as 10001:10001 and holds no password"

# --- 2. Up and healthy -------------------------------------------------------------------
started=$(now)
compose up -d "${services[@]}" >"$work/up.log" 2>&1 || { cat "$work/up.log" >&2; fail "docker-compose up"; }
declare -A healthy_after=()
deadline=$(( $(date +%s) + 180 ))
while [ "${#healthy_after[@]}" -lt "${#healthchecked[@]}" ]; do
  for service in "${healthchecked[@]}"; do
    if [ -z "${healthy_after[$service]:-}" ] && is_healthy "$service" 2>/dev/null; then
      healthy_after[$service]=$(since "$started")
      pass "$service healthy ${healthy_after[$service]} s after up"
    fi
  done
  [ "$(date +%s)" -lt "$deadline" ] || fail "not healthy within 180 s: only ${!healthy_after[*]}"
  sleep 0.5
done
[ "$(docker inspect -f '{{.State.ExitCode}}' "$(container migrate)")" = 0 ] || fail "migrate did not exit 0"
pass "migrate exited 0"

sql "SELECT 1" >/dev/null || fail "mockuser/mockpass cannot connect on 127.0.0.1:5433"
pass "mockuser/mockpass connects to mockdb on 127.0.0.1:5433 from the host"
sql "INSERT INTO users (id, name, email) VALUES (1, 'Stack', 'stack@example.com')" >/dev/null

# --- 3. 20,000 events, exactly once -----------------------------------------------------
started=$(now)
insert_events drain 20000
until_true 300 "20,000 events processed" drained
took=$(since "$started")
result=$(exactly_once drain 20000) || fail "20,000 events: $result"
pass "20,000 events inserted by plain INSERTs processed by the worker container in $took s: $result"

failed_alone() { [ "$(sql "SELECT count(*) FROM events WHERE data->>'name' = 'invalid' AND status = 'failed'
                            AND last_error = 'invalid payload: field ''value'' is required'")" = 10 ]; }
sql "INSERT INTO events (event_type, data) SELECT 'metric', '{\"name\": \"invalid\"}' FROM generate_series(1, 10)" >/dev/null
until_true 30 "10 invalid events failed with their reason" failed_alone
pass "10 invalid events failed at once, each with last_error 'invalid payload: field 'value' is required'"

# --- 4. Prometheus and the exporter ----------------------------------------------------
target_up() { prom targets | python3 -c '
import json, sys
jobs = {t["labels"]["job"]: t["health"] for t in json.load(sys.stdin)["data"]["activeTargets"]}
sys.exit(0 if all(jobs.get(j) == "up" for j in sys.argv[1:]) else 1)' "$@"; }
until_true 90 "Prometheus sees the worker and the exporter up" target_up event-worker postgres alertmanager prometheus
pass "Prometheus (9090) lists event-worker, postgres (exporter), alertmanager and itself as up"
rules=$(prom rules | python3 -c '
import json, sys
rules = [r for g in json.load(sys.stdin)["data"]["groups"] for r in g["rules"]]
bad = [r["name"] for r in rules if r["health"] != "ok"]
print(len(rules) if not bad else "unhealthy: " + ",".join(bad))')
[[ "$rules" =~ ^[0-9]+$ ]] && [ "$rules" -ge 13 ] || fail "alert rules: $rules"
pass "Prometheus has $rules alert rules loaded, all healthy"

sample() { prom query --data-urlencode "query=$1" | python3 -c '
import json, sys
r = json.load(sys.stdin)["data"]["result"]
print(r[0]["value"][1] if r else "")'; }
has_sample() { [ -n "$(sample "$1")" ]; }
sql "INSERT INTO events (event_type, data) VALUES ('unhandled_here', '{}')" >/dev/null
until_true 60 "the exporter's queue queries" has_sample 'event_queue_depth{status="pending",type="unhandled_here"}'
until_true 60 "the exporter's oldest due age" has_sample 'event_queue_oldest_due_age_seconds{type="unhandled_here"}'
[ "$(sample pg_exporter_last_scrape_error)" = 0 ] || fail "the exporter reports a scrape error"
pass "exporter custom queries: event_queue_depth{unhandled_here} = $(sample 'event_queue_depth{type="unhandled_here"}'), oldest due $(sample 'event_queue_oldest_due_age_seconds{type="unhandled_here"}') s, dead tuples of events $(sample 'pg_stat_user_tables_n_dead_tup{relname="events"}'), last scrape error 0"

# --- 5. docker-compose stop: SIGTERM under load ------------------------------------------
insert_events stop 200000
until_true 60 "the worker takes on the backlog" pending_below 198000
worker=$(container worker)
started=$(now)
compose stop worker >/dev/null 2>&1
took=$(since "$started")
code=$(docker inspect -f '{{.State.ExitCode}}' "$worker")
left=$(pending)
[ "$code" = 0 ] || fail "the worker exited $code on docker-compose stop"
awk -v t="$took" -v limit="$shutdown_timeout" 'BEGIN { exit !(t < limit) }' || fail "the worker took $took s to stop"
pass "docker-compose stop worker mid-backlog: exit code $code in $took s (SHUTDOWN_TIMEOUT ${shutdown_timeout} s), $left events left pending"
compose start worker >/dev/null 2>&1

# --- 6. SIGKILL under load: the restart policy brings it back ----------------------------
# The JVM is killed as a crash or the OOM killer would, from outside Docker's API: Docker 20.10
# counts `docker kill` as a stop by hand, which no restart policy restarts.
insert_events kill 200000
until_true 120 "the worker takes on the backlog" pending_below 198000
worker=$(container worker)
restarts=$(docker inspect -f '{{.RestartCount}}' "$worker")
before=$(pending)
started=$(now)
kill -KILL "$(docker inspect -f '{{.State.Pid}}' "$worker")"
until_true 60 "restart after SIGKILL" restarted_since "$worker" "$restarts"
until_true 60 "ready after the restart" ready_inside "$worker"
back=$(since "$started")
until_true 300 "the backlog drained after the kill" drained
drained_at=$(since "$started")
result_stop=$(exactly_once stop 200000) || fail "after the stop: $result_stop"
result=$(exactly_once kill 200000) || fail "after the kill: $result"
pass "SIGKILL of the worker's JVM with $before events pending: restarted by its policy (unless-stopped) and ready in $back s, drained $drained_at s after the kill"
pass "  the stop's 200,000: $result_stop"
pass "  the kill's 200,000: $result"

# --- 7. --scale worker=3 -----------------------------------------------------------------
compose up -d --no-deps --scale worker=3 worker >"$work/scale.log" 2>&1 || { cat "$work/scale.log" >&2; fail "--scale worker=3"; }
mapfile -t replicas < <(compose ps -q worker)
[ "${#replicas[@]}" -eq 3 ] || fail "--scale worker=3 started ${#replicas[@]} replicas"
for r in "${replicas[@]}"; do until_true 90 "replica ready" ready_inside "$r"; done
declare -A counted=()
for r in "${replicas[@]}"; do counted[$r]=$(processed_by "$r"); done
insert_events scale 60000
until_true 300 "60,000 events drained by 3 replicas" drained
sleep 1
shares=() total=0
for r in "${replicas[@]}"; do
  n=$(( $(processed_by "$r") - counted[$r] ))
  shares+=("$n")
  total=$(( total + n ))
  [ "$n" -gt 0 ] || fail "replica ${r:0:12} processed nothing"
done
result=$(exactly_once scale 60000) || fail "--scale 3: $result"
[ "$total" -eq 60000 ] || fail "the replicas' counters add up to $total, not 60,000"
pass "--scale worker=3 shares one queue: replicas processed ${shares[*]} (sum $total); $result"
compose up -d --no-deps --scale worker=1 worker >/dev/null 2>&1

# --- 8. Backup and restore ----------------------------------------------------------------
compose run --rm backup now >"$work/backup.log" 2>&1 || { cat "$work/backup.log" >&2; fail "backup now"; }
dump=$(compose run --rm --entrypoint sh backup -c 'ls -t /backups/*.dump | head -n 1' 2>/dev/null | tr -d '\r')
[ -n "$dump" ] || fail "no dump in the backups volume"
sql "CREATE DATABASE restore_check" >/dev/null
compose run --rm --entrypoint sh backup /opt/backup/restore-full.sh "$dump" restore_check >"$work/restore.log" 2>&1 ||
  { cat "$work/restore.log" >&2; fail "restore-full.sh"; }
counts="SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM events), (SELECT count(*) FROM data_entries), (SELECT count(*) FROM metrics)"
original=$(sql "$counts")
restored=$(PGPASSWORD=mockpass psql -X -At -h 127.0.0.1 -p 5433 -U mockuser -d restore_check -c "$counts")
[ "$original" = "$restored" ] || fail "restored counts $restored differ from $original"
base=$(compose run --rm --entrypoint sh backup -c 'ls -d /backups/base-* 2>/dev/null | wc -l' 2>/dev/null | tr -d '\r')
[ "${base:-0}" -ge 1 ] || fail "no base backup taken"
pass "backup now: dump $dump and a base backup; restore-full.sh into restore_check: users|events|data_entries|metrics $restored, as in mockdb"
until_true 60 "the exporter reports the backup" has_sample 'backup_last_success_timestamp_seconds{kind="dump"}'
pass "Prometheus has backup_last_success_timestamp_seconds for the dump and base backup"

# --- 9. Grafana's dashboard against the live Prometheus ------------------------------------
datasource=$(sed -n 's/^[[:space:]]*url:[[:space:]]*//p' deploy/grafana/provisioning/datasources/prometheus.yml | head -n 1)
docker exec "$(container prometheus)" wget -q -O /dev/null "$datasource/api/v1/query?query=up" ||
  fail "Grafana's datasource $datasource does not answer inside the Compose network"
empty=$(python3 - deploy/grafana/dashboards/event-worker.json <<'PY'
import json, sys, urllib.parse, urllib.request
dashboard = json.load(open(sys.argv[1]))
empty, panels = [], 0
for panel in dashboard["panels"]:
    exprs = [t["expr"] for t in panel.get("targets", []) if t.get("expr")]
    if not exprs:
        continue
    panels += 1
    def answers(expr):
        url = "http://127.0.0.1:9090/api/v1/query?" + urllib.parse.urlencode({"query": expr.replace("$type", ".*")})
        return json.load(urllib.request.urlopen(url))["data"]["result"]
    if not any(answers(e) for e in exprs):
        empty.append(panel["title"])
print(f"{panels}|{','.join(empty)}")
PY
)
[ -z "${empty#*|}" ] || fail "Grafana panels without data: ${empty#*|}"
pass "Grafana (not started: no image): its datasource $datasource answers, and all ${empty%%|*} panels' queries return data"

# --- 10. Bad input in the container ------------------------------------------------------
set +e
out=$(compose run --rm --no-deps -e 'DATABASE_URL=postgresql://mockuser:Sup3r-Secret@mock-postgres:port/mockdb' worker run 2>&1)
code=$?
set -e
[ "$code" = 2 ] && grep -q 'configuration error: DATABASE_URL=' <<<"$out" && ! grep -q 'Sup3r-Secret' <<<"$out" ||
  fail "a bad DATABASE_URL: exit $code, $out"
pass "a bad DATABASE_URL: exit $code, '$(grep 'configuration error' <<<"$out" | tr -d '\r')'"
set +e
out=$(compose run --rm --no-deps -e DATABASE_PASSWORD=Wrong-Secret worker run 2>&1)
code=$?
set -e
[ "$code" = 1 ] && grep -q 'password authentication failed' <<<"$out" && ! grep -q 'Wrong-Secret' <<<"$out" ||
  fail "a wrong password: exit $code, $out"
pass "a wrong password: exit $code, '$(grep 'event-worker:' <<<"$out" | tr -d '\r')'"

network=${COMPOSE_PROJECT_NAME}_mock-network
compose stop mock-postgres >/dev/null 2>&1
docker run -d --name "${extra[0]}" --network "$network" -e DATABASE_URL=postgresql://app_user@mock-postgres:5432/mockdb \
  -e DATABASE_PASSWORD=app_pass event-worker:local run >/dev/null
sleep 10
[ "$(docker inspect -f '{{.State.Running}}' "${extra[0]}")" = true ] || fail "a worker started with its database down exited: $(docker logs "${extra[0]}" 2>&1 | tail -5)"
! ready_inside "${extra[0]}" || fail "a worker without its database says it is ready"
started=$(now)
compose start mock-postgres >/dev/null 2>&1
until_true 120 "ready once the database is back" ready_inside "${extra[0]}"
pass "a database down at start: the container stayed up and not ready for 10 s, then ready $(since "$started") s after the database started"
docker rm -f "${extra[0]}" >/dev/null
until_true 120 "mock-postgres healthy again" is_healthy mock-postgres

# --- 11. A handler jar in /app/handlers ---------------------------------------------------
docker create --name "${extra[1]}" event-worker:local >/dev/null
docker cp "${extra[1]}:/app/event-worker.jar" "$work/event-worker.jar"
docker rm "${extra[1]}" >/dev/null
mkdir "$work/handlers"
bash deploy/local/example-handler/build.sh "$work/event-worker.jar" "$work/handlers/page-view.jar"
chmod -R a+rX "$work"
sql "INSERT INTO events (event_type, data) SELECT 'page_view', jsonb_build_object('path', '/p/' || i) FROM generate_series(1, 100) AS i" >/dev/null
docker run -d --name "${extra[1]}" --network "$network" -v "$work/handlers:/app/handlers:ro" \
  -e DATABASE_URL=postgresql://app_user@mock-postgres:5432/mockdb -e DATABASE_PASSWORD=app_pass event-worker:local run >/dev/null
views() { [ "$(sql "SELECT count(*) FROM metrics WHERE metric_name = 'page_view'")" = 100 ] &&
  [ "$(sql "SELECT count(*) FROM events WHERE event_type = 'page_view' AND status = 'processed'")" = 100 ]; }
until_true 60 "page_view events processed by the handler in /app/handlers" views
docker logs "${extra[1]}" 2>&1 | grep -q 'processing event types data_entry, metric, page_view' ||
  fail "the handler was not announced: $(docker logs "${extra[1]}" 2>&1 | tail -5)"
pass "a handler jar in /app/handlers: 'processing event types data_entry, metric, page_view', 100 page_view events processed into 100 metrics rows"
docker rm -f "${extra[1]}" >/dev/null

# --- 12. down -v leaves nothing -------------------------------------------------------------
compose down -v --remove-orphans >/dev/null 2>&1
label="label=com.docker.compose.project=$COMPOSE_PROJECT_NAME"
left="$(docker ps -aq --filter "$label")$(docker network ls -q --filter "$label")$(docker volume ls -q --filter "$label")"
for name in "${extra[@]}"; do left+=$(docker ps -aq --filter "name=^/$name$"); done
[ -z "$left" ] || fail "docker-compose down -v left: $left"
pass "docker-compose down -v: no container, network or volume of the stack left"
log "all checks passed"
