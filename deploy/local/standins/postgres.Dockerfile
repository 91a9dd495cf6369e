# Stand-in for postgres:15-alpine, for machines that cannot pull it: Debian's postgresql-15 with
# an entrypoint that keeps the official image's contract (POSTGRES_USER, POSTGRES_PASSWORD,
# POSTGRES_DB, /docker-entrypoint-initdb.d, a server listening on every address), and busybox's
# crond and crontab, which the backup service uses from the Alpine image.
ARG BASE
FROM ${BASE}
RUN mkdir -p /etc/postgresql-common/createcluster.d \
 && echo 'create_main_cluster = false' > /etc/postgresql-common/createcluster.d/no-main-cluster.conf \
 && apt-get update \
 && apt-get install -y --no-install-recommends postgresql-15 busybox-static \
 && rm -rf /var/lib/apt/lists/* \
 && ln -s /bin/busybox /usr/local/bin/crond && ln -s /bin/busybox /usr/local/bin/crontab \
 && mkdir -p /var/spool/cron/crontabs \
 && sed -ri "s!^#?(listen_addresses)\s*=\s*\S+.*!\1 = '*'!" /usr/share/postgresql/15/postgresql.conf.sample \
 && install -d -o postgres -g postgres -m 700 /var/lib/postgresql/data
COPY postgres-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
ENV PATH=/usr/lib/postgresql/15/bin:$PATH \
    PGDATA=/var/lib/postgresql/data \
    LANG=C.UTF-8
VOLUME /var/lib/postgresql/data
STOPSIGNAL SIGINT
EXPOSE 5432
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["postgres"]
