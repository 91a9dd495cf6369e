#!/usr/bin/env bash
# The tests' one setup step (docs/TESTING.md): installs, from Debian's packages, the programs the
# deployment tests run when they are missing: promtool and prometheus, postgres_exporter,
# alertmanager and amtool, docker-compose, pgbouncer. .ci/run calls it before `mvn -B verify`; the
# tests themselves install nothing and fail at once, naming this script, where a program is missing.
set -euo pipefail

need=()
{ command -v promtool && command -v prometheus; } >/dev/null || need+=(prometheus)
{ command -v prometheus-postgres-exporter || command -v postgres_exporter; } >/dev/null || need+=(prometheus-postgres-exporter)
{ command -v amtool && { command -v prometheus-alertmanager || command -v alertmanager; }; } >/dev/null || need+=(prometheus-alertmanager)
command -v docker-compose >/dev/null || need+=(docker-compose)
command -v pgbouncer >/dev/null || need+=(pgbouncer)
[ ${#need[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
  echo "install-tools: please install ${need[*]} (Debian package names)" >&2
  exit 1
fi
echo "install-tools: installing ${need[*]}" >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
