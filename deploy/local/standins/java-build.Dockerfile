# Stand-in for maven:3.9-eclipse-temurin-17, the Dockerfile's build stage: Debian's OpenJDK 17 and
# Maven. It trusts what the host's Java trust store trusts (host-cacerts, copied in by images.sh),
# so that a build behind a TLS-inspecting proxy reaches Maven Central as the host does.
ARG BASE
FROM ${BASE}
RUN apt-get update \
 && apt-get install -y --no-install-recommends openjdk-17-jdk-headless maven \
 && rm -rf /var/lib/apt/lists/*
COPY host-cacerts /etc/ssl/certs/java/cacerts
ENV MAVEN_CONFIG=/root/.m2
CMD ["mvn"]
