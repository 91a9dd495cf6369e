# syntax=docker/dockerfile:1
# event-worker: build the jar with Maven, run it on a slim Java 17 runtime as a non-root user.

FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
# Dependencies first: this layer is reused while only the sources change.
COPY pom.xml .
RUN mvn -B -q dependency:go-offline
COPY database database
COPY src src
RUN mvn -B -q package -DskipTests

FROM eclipse-temurin:17-jre-alpine
# A fixed, unprivileged UID: volumes and Kubernetes securityContext can rely on it.
RUN addgroup -S -g 10001 worker && adduser -S -D -H -u 10001 -G worker worker
WORKDIR /app
COPY --from=build /src/target/event-worker.jar /app/event-worker.jar
USER 10001
ENV HTTP_PORT=8080
EXPOSE 8080
# The seed's 30 s health-check interval; ready means the worker runs and its database answers.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD wget -q -O /dev/null "http://127.0.0.1:${HTTP_PORT}/health/ready" || exit 1
# Exec form: the JVM is PID 1 and receives SIGTERM itself, so it drains and exits 0.
# Heap sized from the container's memory limit; exit (and be restarted) on OutOfMemoryError.
# G1 named, not left to the JVM: under 1792 MB or 2 CPUs it would pick the Serial collector,
# which stops every worker thread to collect; G1 is what docs/PERFORMANCE.md measures.
ENTRYPOINT ["java", "-XX:+UseG1GC", "-XX:MaxRAMPercentage=75", "-XX:+ExitOnOutOfMemoryError", "-jar", "/app/event-worker.jar"]
CMD ["run"]
