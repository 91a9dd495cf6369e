#!/bin/sh
# docker-entrypoint-initdb.d step, after init.sql: creates app_user and readonly_user with the
# passwords given to the container (APP_USER_PASSWORD, READONLY_USER_PASSWORD).
set -e
if [ -z "${APP_USER_PASSWORD:-}" ] || [ -z "${READONLY_USER_PASSWORD:-}" ]; then
  echo "roles.sh: APP_USER_PASSWORD and READONLY_USER_PASSWORD must be set" >&2
  exit 1
fi
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v app_password="$APP_USER_PASSWORD" -v readonly_password="$READONLY_USER_PASSWORD" \
  -f /etc/event-worker/roles.sql
