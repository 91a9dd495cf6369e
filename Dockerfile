# event-worker: build the jar with Maven, run it on a slim Java 17 runtime as a non-root user.
# The base images are build arguments, so that a site without a registry can build on its own
# copies (deploy/local/images.sh builds Debian stand-ins under these names).
ARG BUILD_IMAGE=maven:3.9-eclipse-temurin-17
ARG RUNTIME_IMAGE=eclipse-temurin:17-jre-alpine

FROM ${BUILD_IMAGE} AS build
WORKDIR /src
# Dependencies first: this layer is reused while only the sources change.
COPY pom.xml .
RUN mvn -B -q dependency:go-offline
COPY database database
COPY src src
RUN mvn -B -q package -Dmaven.test.skip=true

FROM ${RUNTIME_IMAGE}
WORKDIR /app
COPY --from=build /src/target/event-worker.jar /app/event-worker.jar
# Application class-data sharing: a training run (the hidden warm-up command, which runs the
# handlers on synthetic events in memory and needs no database) archives the classes it loaded, and
# the ENTRYPOINT maps them instead of loading and verifying them again: a replica started during a
# burst is ready sooner (docs/SCALING.md). The training run's heap is sized as in a small
# container, so that its compressed-pointer mode is the one the JVM uses at run time; a JVM that
# cannot use the archive warns and starts without it.
RUN java -XX:+UseG1GC -XX:MaxRAMPercentage=75 -XX:+ExitOnOutOfMemoryError -XX:MaxRAM=512m \
      -XX:ArchiveClassesAtExit=/app/event-worker.jsa -Xlog:cds=error \
      -cp /app/event-worker.jar io.eventworker.cli.Main warm-up \
  && test -s /app/event-worker.jsa
# Handler jars dropped here (a volume, or a derived image's COPY) are on the classpath.
RUN mkdir -p /app/handlers
# A fixed, unprivileged UID and GID with no account: volumes and a Kubernetes securityContext can
# rely on them, and no base-specific adduser is needed.
USER 10001:10001
ENV HTTP_PORT=8080 HOME=/tmp
EXPOSE 8080
# The original description's 30 s health-check interval; ready means the worker runs and its database answers.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD wget -q -O /dev/null "http://127.0.0.1:${HTTP_PORT}/health/ready" || exit 1
# Exec form: the JVM is PID 1 and receives SIGTERM itself, so it drains and exits 0.
# Heap sized from the container's memory limit; exit (and be restarted) on OutOfMemoryError.
# G1 named, not left to the JVM: under 1792 MB or 2 CPUs it would pick the Serial collector,
# which stops every worker thread to collect; G1 is what docs/PERFORMANCE.md measures.
# The launcher itself expands the classpath's handlers/* to the jars in that folder.
ENTRYPOINT ["java", "-XX:+UseG1GC", "-XX:MaxRAMPercentage=75", "-XX:+ExitOnOutOfMemoryError", \
  "-XX:SharedArchiveFile=/app/event-worker.jsa", "-cp", "/app/event-worker.jar:/app/handlers/*", "io.eventworker.cli.Main"]
CMD ["run"]
