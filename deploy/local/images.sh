#!/usr/bin/env bash
# Builds, from Debian's packages, a local STAND-IN for every public image that docker-compose.yml
# and the Dockerfile name, tagged with that image's name, for a machine that cannot pull images
# (no registry, or an air-gapped site). Stand-ins are test doubles, not the real images: their
# program versions are Debian bookworm's, printed at the end. Where the real image is already
# present under a name, it is left alone. Run it again at will: it rebuilds nothing that is
# unchanged (Docker's layer cache), so a second run takes seconds.
#
#   deploy/local/images.sh          build what is missing or changed, then list the stand-ins
#
# Settings: DEBIAN_MIRROR (default: the host's first Debian apt source), DEBIAN_SUITE (bookworm).
# Needs a running Docker engine and, for the Debian base, root and debootstrap.
set -euo pipefail
cd "$(dirname "$0")/../.."

standins=deploy/local/standins
suite=${DEBIAN_SUITE:-bookworm}
base=event-worker-standin/debian:$suite
label=io.eventworker.stand-in

log() { printf '[images] %s\n' "$*"; }
die() { printf '[images] ERROR: %s\n' "$*" >&2; exit 1; }

docker info >/dev/null 2>&1 || die "no Docker engine answers (start dockerd, or see deploy/local/docker-engine.sh)"

# The recipe (a file in deploy/local/standins) for an image name, or "-" for one with none.
recipe_for() {
  case ${1%%:*} in
    postgres) echo postgres ;;
    maven) echo java-build ;;
    eclipse-temurin) echo java-runtime ;;
    prom/prometheus) echo prometheus ;;
    prom/alertmanager) echo alertmanager ;;
    */postgres-exporter) echo postgres-exporter ;;
    grafana/grafana) echo - ;;
    *) die "no stand-in recipe for image $1: add one to $standins and to recipe_for in $0" ;;
  esac
}

# Every public image named: Compose's image: lines (not the worker's own, built from the
# Dockerfile) and the Dockerfile's base-image ARG defaults.
named_images() {
  sed -n 's/^[[:space:]]*image:[[:space:]]*\([^[:space:]#]*\).*/\1/p' docker-compose.yml | grep -v '^event-worker'
  sed -n 's/^ARG [A-Z_]*_IMAGE=\([^[:space:]]*\).*/\1/p' Dockerfile
}

mirror() {
  if [ -n "${DEBIAN_MIRROR:-}" ]; then echo "$DEBIAN_MIRROR"; return; fi
  local uri
  uri=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  [ -n "$uri" ] || uri=$(awk '$1 == "deb" && $2 !~ /^\[/ {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
  [ -n "$uri" ] || die "no Debian mirror found in the host's apt sources: set DEBIAN_MIRROR"
  echo "$uri"
}

build_base() {
  if docker image inspect "$base" >/dev/null 2>&1; then
    log "base $base: present"
    return
  fi
  command -v debootstrap >/dev/null || die "debootstrap is missing (apt-get install debootstrap)"
  [ "$(id -u)" -eq 0 ] || die "debootstrap needs root"
  local root
  root=$(mktemp -d /tmp/standin-rootfs-XXXXXX)
  # shellcheck disable=SC2064 # the path is fixed now
  trap "rm -rf '$root'" EXIT
  log "base $base: debootstrap $suite from $(mirror) (about a minute)"
  debootstrap --variant=minbase "$suite" "$root" "$(mirror)" >"$root.log" 2>&1 ||
    { tail -20 "$root.log" >&2; die "debootstrap failed (log: $root.log)"; }
  # As in Debian's official image: packages never start services, and pull in no recommends.
  printf '#!/bin/sh\nexit 101\n' > "$root/usr/sbin/policy-rc.d"
  chmod +x "$root/usr/sbin/policy-rc.d"
  echo 'APT::Install-Recommends "false";' > "$root/etc/apt/apt.conf.d/90no-recommends"
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
  tar -C "$root" -c . | docker import -c 'CMD ["bash"]' -c 'ENV LANG=C.UTF-8' \
    -c "LABEL $label=\"Debian $suite, debootstrap --variant=minbase\"" - "$base" >/dev/null
  rm -rf "$root" "$root.log"
  trap - EXIT
  log "base $base: imported"
}

build_standin() {
  local image=$1 recipe=$2 context
  if docker image inspect "$image" >/dev/null 2>&1 && ! is_standin "$image"; then
    log "$image: the real image is present, left as it is"
    return
  fi
  context=$(mktemp -d)
  cp "$standins/$recipe".* "$context/"
  [ -f "$standins/$recipe-entrypoint.sh" ] && cp "$standins/$recipe-entrypoint.sh" "$context/"
  if [ "$recipe" = java-build ]; then
    cp "$(java_trust_store)" "$context/host-cacerts"
  fi
  log "$image: building the stand-in from $standins/$recipe.Dockerfile"
  docker build --build-arg "BASE=$base" --label "$label=$recipe, built from Debian $suite packages" \
    -f "$context/$recipe.Dockerfile" -t "$image" "$context" >"$context/build.log" 2>&1 ||
    { tail -30 "$context/build.log" >&2; die "building the stand-in for $image failed"; }
  rm -rf "$context"
}

is_standin() {
  local value
  value=$(docker image inspect -f "{{ if .Config.Labels }}{{ index .Config.Labels \"$label\" }}{{ end }}" "$1" 2>/dev/null)
  [ -n "$value" ] && [ "$value" != "<no value>" ]
}

java_trust_store() {
  local store
  for store in /etc/ssl/certs/java/cacerts "${JAVA_HOME:-/nonexistent}/lib/security/cacerts"; do
    [ -f "$store" ] && { echo "$store"; return; }
  done
  die "no Java trust store found on the host (/etc/ssl/certs/java/cacerts): the build stage could not reach Maven Central"
}

# The version of the program a stand-in really holds.
real_version() {
  local image=$1 recipe=$2
  case $recipe in
    postgres) docker run --rm --entrypoint postgres "$image" --version ;;
    java-build) docker run --rm "$image" sh -c 'java -version 2>&1 | head -1; mvn -B -v | sed -n 1p' | sed 's/\x1b\[[0-9;]*m//g' | paste -sd ';' ;;
    java-runtime) docker run --rm "$image" sh -c 'java -version 2>&1 | head -1' ;;
    *) docker run --rm "$image" --version 2>&1 | head -1 ;;
  esac
}

build_base
declare -A seen=()
report=()
while read -r image; do
  [ -n "$image" ] && [ -z "${seen[$image]:-}" ] || continue
  seen[$image]=1
  recipe=$(recipe_for "$image")
  if [ "$recipe" = - ]; then
    report+=("$image|NOT BUILT: no Debian package; its provisioning is checked against the live Prometheus instead")
    continue
  fi
  build_standin "$image" "$recipe"
  if is_standin "$image"; then
    report+=("$image|STAND-IN: $(real_version "$image" "$recipe")")
  else
    report+=("$image|the real image")
  fi
done < <(named_images)

log "these images are local stand-ins built from Debian $suite packages, not the public images:"
for line in "${report[@]}"; do
  printf '[images]   %-45s %s\n' "${line%%|*}" "${line#*|}"
done
