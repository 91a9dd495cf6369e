# Stand-in for prom/alertmanager: Debian's prometheus-alertmanager, laid out as the official image
# (entrypoint, working directory /alertmanager, user nobody), with wget for the health check.
ARG BASE
FROM ${BASE}
RUN apt-get update \
 && apt-get install -y --no-install-recommends prometheus-alertmanager wget \
 && rm -rf /var/lib/apt/lists/* \
 && install -d -o nobody -g nogroup /alertmanager
WORKDIR /alertmanager
USER nobody
EXPOSE 9093
ENTRYPOINT ["/usr/bin/prometheus-alertmanager"]
CMD ["--config.file=/etc/alertmanager/alertmanager.yml", "--storage.path=/alertmanager"]
