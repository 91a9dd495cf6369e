#!/usr/bin/env bash
# The tests' one setup step (docs/TESTING.md): installs, from Debian's packages, the programs the
# deployment tests run when they are missing: promtool and prometheus, postgres_exporter,
# alertmanager and amtool, docker-compose, pgbouncer, kubectl, node and npm, chromium (the console's
# browser test); then the Kubernetes manifests' validator (deploy/kubernetes/validate) with `npm ci`,
# from its lock file. .ci/run calls it
# before `mvn -B verify`; the tests themselves install nothing and fail at once, naming this
# script, where a program is missing.
set -euo pipefail

need=()
{ command -v promtool && command -v prometheus; } >/dev/null || need+=(prometheus)
{ command -v prometheus-postgres-exporter || command -v postgres_exporter; } >/dev/null || need+=(prometheus-postgres-exporter)
{ command -v amtool && { command -v prometheus-alertmanager || command -v alertmanager; }; } >/dev/null || need+=(prometheus-alertmanager)
command -v docker-compose >/dev/null || need+=(docker-compose)
command -v pgbouncer >/dev/null || need+=(pgbouncer)
command -v kubectl >/dev/null || need+=(kubernetes-client)
command -v node >/dev/null || need+=(nodejs)
command -v npm >/dev/null || need+=(npm)
{ command -v chromium || command -v chromium-browser; } >/dev/null || need+=(chromium)

# The validator's packages, exactly as its package-lock.json pins them; again when the lock changed.
validator() {
  local dir
  dir="$(cd "$(dirname "$0")/../kubernetes/validate" && pwd)"
  if ! cmp -s "$dir/package-lock.json" "$dir/node_modules/.installed-from-lock"; then
    echo "install-tools: npm ci in deploy/kubernetes/validate" >&2
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >&2)
    cp "$dir/package-lock.json" "$dir/node_modules/.installed-from-lock"
  fi
}

if [ ${#need[@]} -eq 0 ]; then
  validator
  exit 0
fi

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
  echo "install-tools: please install ${need[*]} (Debian package names)" >&2
  exit 1
fi
echo "install-tools: installing ${need[*]}" >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
validator
