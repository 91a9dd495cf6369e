#!/usr/bin/env bash
# Builds the example handler jar against an event-worker jar: build.sh EVENT_WORKER_JAR OUT_JAR.
# Drop the result into the image's /app/handlers/ (a volume, or COPY in a derived image).
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: build.sh EVENT_WORKER_JAR OUT_JAR" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
classes=$(mktemp -d)
trap 'rm -rf "$classes"' EXIT
javac -d "$classes" -cp "$1" --release 17 "$here"/src/example/*.java
cp -r "$here/META-INF" "$classes/"
jar cf "$2" -C "$classes" .
