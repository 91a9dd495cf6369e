#!/usr/bin/env bash
# A Docker engine for the container tests, on a Debian machine that has none running:
#
#   deploy/local/docker-engine.sh start   install docker.io, docker-compose and debootstrap if
#                                         missing, start dockerd in the background (log:
#                                         /var/log/event-worker-dockerd.log) unless an engine
#                                         already answers, and wait until it does
#   deploy/local/docker-engine.sh stop    stop the dockerd that `start` started, and only that one
#
# Needs root for `start` when something must be installed or dockerd started.
set -euo pipefail

pid_file=/run/event-worker-dockerd.pid
log_file=/var/log/event-worker-dockerd.log
log() { printf '[docker-engine] %s\n' "$*" >&2; }

start() {
  local need=()
  command -v dockerd >/dev/null || need+=(docker.io)
  command -v docker-compose >/dev/null || need+=(docker-compose)
  command -v debootstrap >/dev/null || need+=(debootstrap)
  if [ ${#need[@]} -gt 0 ]; then
    log "installing ${need[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
  fi
  if docker info >/dev/null 2>&1; then
    log "an engine already answers: $(docker version -f '{{.Server.Version}}')"
    return
  fi
  log "starting dockerd (log: $log_file)"
  nohup dockerd >"$log_file" 2>&1 &
  echo $! > "$pid_file"
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && { log "dockerd $(docker version -f '{{.Server.Version}}') answers"; return; }
    kill -0 "$(cat "$pid_file")" 2>/dev/null || break
    sleep 1
  done
  tail -20 "$log_file" >&2
  log "ERROR: dockerd did not answer within 60 s"
  exit 1
}

stop() {
  [ -f "$pid_file" ] || { log "no dockerd started by this script"; return; }
  local pid
  pid=$(cat "$pid_file")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
    kill -0 "$pid" 2>/dev/null && { log "ERROR: dockerd $pid did not stop"; exit 1; }
    log "dockerd $pid stopped"
  fi
  rm -f "$pid_file"
}

case ${1:-} in
  start) start ;;
  stop) stop ;;
  *) echo "usage: docker-engine.sh start|stop" >&2; exit 2 ;;
esac
