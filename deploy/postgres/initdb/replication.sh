#!/bin/sh
# docker-entrypoint-initdb.d step: lets $POSTGRES_USER open replication connections from the
# Compose network, with its password, so that the backup service's pg_basebackup
# (deploy/backup/basebackup.sh) can copy the cluster. The image's pg_hba.conf allows replication
# from inside the container only ("all" in its database column does not match replication).
set -e
printf 'host replication "%s" all scram-sha-256\n' "$POSTGRES_USER" >> "$PGDATA/pg_hba.conf"
