# Stand-in for eclipse-temurin:17-jre-alpine, the worker's runtime: Debian's OpenJDK 17 JRE, and
# wget for the image's HEALTHCHECK (busybox has it in the Alpine image).
ARG BASE
FROM ${BASE}
RUN apt-get update \
 && apt-get install -y --no-install-recommends openjdk-17-jre-headless wget \
 && rm -rf /var/lib/apt/lists/*
ENV LANG=C.UTF-8
CMD ["jshell"]
