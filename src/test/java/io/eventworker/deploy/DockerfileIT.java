package io.eventworker.deploy;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.eventworker.bench.ImageJvm;
import io.eventworker.testing.Programs;
import io.eventworker.testing.TestDatabase;
import io.eventworker.testing.WorkerProcess;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The Dockerfile's own commands, run on this machine as written: the jar its build stage copies,
 * its ENTRYPOINT and CMD, its HEALTHCHECK command. (deploy/local/stack-test.sh runs the built image
 * itself, where a Docker engine is at hand.)
 */
@Tag("deploy")
class DockerfileIT {

  private static final String IMAGE_JAR = ImageJvm.IMAGE_JAR;
  private static final String IMAGE_CLASSPATH = IMAGE_JAR + ":/app/handlers/*";

  @RegisterExtension final TestDatabase db = TestDatabase.migrated();

  /**
   * The instructions of the Dockerfile's last stage that matter here, continuation lines joined.
   */
  private record Instructions(
      List<String> entrypoint,
      List<String> cmd,
      String healthcheck,
      String copiedJar,
      String buildRun,
      String user,
      String trainingRun) {}

  @Test
  void theImageGetsTheJarThatTheBuildStageMakes() throws Exception {
    Instructions d = parse();
    assertEquals("/src/target/event-worker.jar " + IMAGE_JAR, d.copiedJar());
    assertTrue(d.buildRun().startsWith("mvn ") && d.buildRun().contains(" package"), d.buildRun());
    assertTrue(Files.isRegularFile(WorkerProcess.JAR), "mvn package makes target/event-worker.jar");
    assertTrue(
        d.entrypoint().contains(IMAGE_CLASSPATH),
        "handler jars in /app/handlers are on the classpath: " + d.entrypoint());
    assertEquals(List.of("run"), d.cmd());
    assertTrue(
        d.user().matches("[1-9][0-9]*(:[1-9][0-9]*)?"),
        "runs as a fixed non-root UID, not " + d.user());
    String ignore = Files.readString(Path.of(".dockerignore"));
    for (String needed : List.of("!pom.xml", "!src/", "!database/")) {
      assertTrue(ignore.contains(needed), ".dockerignore lets " + needed + " through");
    }
  }

  @Test
  void theEntrypointRunsTheWorkerAndTheHealthcheckSeesItReady() throws Exception {
    Instructions d = parse();
    db.execute(
        "INSERT INTO events (event_type, data) VALUES ('metric',"
            + " '{\"name\":\"docker\",\"value\":1}')");
    int port = WorkerProcess.freePort();
    Process worker =
        start(d, Map.of("DATABASE_URL", db.url(), "HTTP_PORT", Integer.toString(port)));
    try {
      assertTrue(awaitHealthcheck(d, port, 0, Duration.ofSeconds(30)), "HEALTHCHECK never passed");
      await()
          .atMost(Duration.ofSeconds(10))
          .until(
              () -> db.queryLong("SELECT count(*) FROM metrics WHERE metric_name = 'docker'") == 1);
      worker.destroy(); // SIGTERM, as `docker stop` sends
      assertTrue(worker.waitFor(10, TimeUnit.SECONDS));
      assertEquals(0, worker.exitValue());
    } finally {
      worker.destroyForcibly();
    }
  }

  @Test
  void theHealthcheckFailsWhileTheDatabaseIsUnreachable() throws Exception {
    Instructions d = parse();
    int port = WorkerProcess.freePort();
    Process worker =
        start(
            d,
            Map.of(
                "DATABASE_URL",
                "postgresql://nobody@127.0.0.1:" + WorkerProcess.freePort() + "/none",
                "HTTP_PORT",
                Integer.toString(port)));
    try {
      // Up and answering first, so that the healthcheck fails for the database and not because
      // nothing listens yet.
      await()
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(100))
          .ignoreExceptions()
          .until(() -> status(port, "/health/live") == 200);
      assertEquals(503, status(port, "/health/ready"), "not ready without its database");
      assertTrue(worker.isAlive(), "the worker waits for its database");
      assertNotEquals(0, healthcheck(d, port));
    } finally {
      worker.destroy();
      worker.waitFor(10, TimeUnit.SECONDS);
      worker.destroyForcibly();
    }
  }

  @Test
  void theImageRunsWithTheClassDataSharingArchiveItsTrainingRunWrites() throws Exception {
    Instructions d = parse();
    // The benchmark runs the jar with the same flags and the same training run (ImageJvm).
    List<String> training = new ArrayList<>(List.of("java"));
    training.addAll(ImageJvm.trainingFlags(ImageJvm.IMAGE_ARCHIVE));
    training.addAll(List.of("-cp", IMAGE_JAR));
    training.addAll(ImageJvm.TRAINING);
    assertTrue(d.trainingRun() != null, "the last stage has a training run (RUN java ...)");
    String[] steps = d.trainingRun().replaceAll("\\s+", " ").split(" && ");
    assertEquals(String.join(" ", training), steps[0].trim());
    assertEquals(
        "test -s " + ImageJvm.IMAGE_ARCHIVE, steps[1].trim(), "the build fails without it");
    List<String> jvm = d.entrypoint().subList(1, d.entrypoint().indexOf("-cp"));
    assertEquals(ImageJvm.flags(ImageJvm.IMAGE_ARCHIVE), jvm);

    // Run both as written, the image's paths mapped to this build's: the classes of the worker
    // then come from the archive.
    Path dir = Files.createTempDirectory("dockerfile-cds");
    Path archive = dir.resolve("event-worker.jsa");
    try {
      List<String> trainingHere = new ArrayList<>();
      for (String arg : steps[0].trim().split("\\s+")) {
        trainingHere.add(mapped(arg, archive));
      }
      var trained =
          Programs.run(Map.of(), Duration.ofMinutes(2), trainingHere.toArray(String[]::new));
      assertEquals(0, trained.status(), trained.output());
      assertTrue(Files.size(archive) > 0, "the training run wrote the archive");
      List<String> command = new ArrayList<>();
      for (String arg : d.entrypoint()) {
        command.add(mapped(arg, archive));
      }
      command.add(1, "-Xlog:class+load=info");
      command.add("warm-up");
      var run = Programs.run(Map.of(), Duration.ofMinutes(2), command.toArray(String[]::new));
      assertEquals(0, run.status(), run.output());
      assertTrue(
          run.output().contains("io.eventworker.worker.WarmUp source: shared objects file (top)"),
          "the worker's classes come from the archive:\n" + run.output());
    } finally {
      Files.deleteIfExists(archive);
      Files.delete(dir);
    }
  }

  /** An argument of the Dockerfile with the image's paths replaced by this build's. */
  private static String mapped(String arg, Path archive) {
    String jar = WorkerProcess.JAR.toAbsolutePath().toString();
    return arg.equals(IMAGE_CLASSPATH)
        ? jar
        : arg.replace(ImageJvm.IMAGE_ARCHIVE, archive.toString()).replace(IMAGE_JAR, jar);
  }

  private static Process start(Instructions d, Map<String, String> env) throws Exception {
    List<String> command = new ArrayList<>();
    for (String arg : d.entrypoint()) {
      command.add(
          arg.equals(IMAGE_CLASSPATH) ? WorkerProcess.JAR.toAbsolutePath().toString() : arg);
    }
    command.addAll(d.cmd());
    Path log = Files.createTempFile("dockerfile-entrypoint", ".log");
    return Programs.start(env, log, command.toArray(String[]::new));
  }

  private static boolean awaitHealthcheck(Instructions d, int port, int status, Duration timeout)
      throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (healthcheck(d, port) == status) {
        return true;
      }
      Thread.sleep(200);
    }
    return false;
  }

  private static int status(int port, String path) throws Exception {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(Duration.ofSeconds(5))
            .build();
    return HttpClient.newHttpClient()
        .send(request, HttpResponse.BodyHandlers.discarding())
        .statusCode();
  }

  /** Runs the HEALTHCHECK's CMD through sh, as Docker runs a shell-form command. */
  private static int healthcheck(Instructions d, int port) {
    Map<String, String> env = new HashMap<>(Map.of("HTTP_PORT", Integer.toString(port)));
    return Programs.run(env, Duration.ofSeconds(10), "sh", "-c", d.healthcheck()).status();
  }

  private static Instructions parse() throws Exception {
    String text =
        Files.readString(Path.of("Dockerfile"), StandardCharsets.UTF_8)
            .replaceAll("\\\\\\n\\s*", " ");
    List<String> lastStage = new ArrayList<>();
    for (String line : text.split("\n")) {
      String trimmed = line.trim();
      if (trimmed.isEmpty() || trimmed.startsWith("#")) {
        continue;
      }
      if (trimmed.startsWith("FROM ")) {
        lastStage.clear();
      }
      lastStage.add(trimmed);
    }
    String buildRun = null;
    for (String line : text.split("\n")) {
      if (line.startsWith("RUN mvn") && line.contains("package")) {
        buildRun = line.substring(4).trim();
      }
    }
    ObjectMapper json = new ObjectMapper();
    List<String> entrypoint = null;
    List<String> cmd = null;
    String healthcheck = null;
    String copied = null;
    String user = null;
    String training = null;
    for (String line : lastStage) {
      if (line.startsWith("ENTRYPOINT ")) {
        entrypoint = List.of(json.readValue(line.substring(11), String[].class));
      } else if (line.startsWith("CMD ")) {
        cmd = List.of(json.readValue(line.substring(4), String[].class));
      } else if (line.startsWith("HEALTHCHECK ")) {
        Matcher m = Pattern.compile("\\bCMD (.*)$").matcher(line);
        assertTrue(m.find(), line);
        healthcheck = m.group(1);
        assertTrue(
            line.contains("--interval=30s"), "the original description's 30 s interval: " + line);
      } else if (line.startsWith("COPY --from=build ")) {
        copied = line.substring("COPY --from=build ".length()).trim();
      } else if (line.startsWith("USER ")) {
        user = line.substring(5).trim();
      } else if (line.startsWith("RUN java ")) {
        training = line.substring(4).trim();
      }
    }
    return new Instructions(entrypoint, cmd, healthcheck, copied, buildRun, user, training);
  }
}
