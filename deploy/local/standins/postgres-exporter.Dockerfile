# Stand-in for prometheuscommunity/postgres-exporter: Debian's prometheus-postgres-exporter, laid
# out as the official image (entrypoint, user nobody), with wget for the health check.
ARG BASE
FROM ${BASE}
RUN apt-get update \
 && apt-get install -y --no-install-recommends prometheus-postgres-exporter wget \
 && rm -rf /var/lib/apt/lists/*
USER nobody
EXPOSE 9187
ENTRYPOINT ["/usr/bin/prometheus-postgres-exporter"]
