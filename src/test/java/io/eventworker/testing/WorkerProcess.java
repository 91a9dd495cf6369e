package io.eventworker.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The real jar ({@code target/event-worker.jar}) run as a separate process, as an operator runs it:
 * for the tests that kill it, signal it or read its exit status. Output goes to a log file under
 * {@code target/it-logs/}.
 */
public final class WorkerProcess implements AutoCloseable {

  public static final Path JAR = Path.of("target", "event-worker.jar");
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private final Process process;
  private final Path log;
  private final int httpPort;

  private WorkerProcess(Process process, Path log, int httpPort) {
    this.process = process;
    this.log = log;
    this.httpPort = httpPort;
  }

  /**
   * Starts {@code java -jar event-worker.jar args...} with {@code env} added to this environment.
   */
  public static WorkerProcess start(String name, Map<String, String> env, String... args) {
    if (!Files.isRegularFile(JAR)) {
      throw new IllegalStateException(
          JAR + " is missing: integration tests run after `mvn package`");
    }
    return launch(name, env, List.of("-jar", JAR.toString()), args);
  }

  /**
   * Starts {@code mainClass} on the tests' own class path: for programs kept out of the jar, such
   * as the benchmark.
   */
  public static WorkerProcess startClass(
      String name, Map<String, String> env, String mainClass, String... args) {
    return launch(
        name, env, List.of("-cp", System.getProperty("java.class.path"), mainClass), args);
  }

  private static WorkerProcess launch(
      String name, Map<String, String> env, List<String> program, String... args) {
    try {
      Path dir = Files.createDirectories(Path.of("target", "it-logs"));
      Path log = dir.resolve(name + "-" + System.nanoTime() + ".log");
      int port = env.containsKey("HTTP_PORT") ? Integer.parseInt(env.get("HTTP_PORT")) : freePort();
      List<String> command = new ArrayList<>();
      command.add(ProcessHandle.current().info().command().orElse("java"));
      command.add("-Xmx256m");
      command.addAll(program);
      command.addAll(List.of(args));
      ProcessBuilder builder =
          new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
      builder.environment().putAll(env);
      builder.environment().put("HTTP_PORT", Integer.toString(port));
      return new WorkerProcess(builder.start(), log, port);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** {@code run} on the given database, with the given extra settings. */
  public static WorkerProcess run(String name, Map<String, String> env) {
    return start(name, env, "run");
  }

  public int httpPort() {
    return httpPort;
  }

  public long pid() {
    return process.pid();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /**
   * GETs a path of the worker's HTTP endpoint; returns status and body, or status -1 if
   * unreachable.
   */
  public HttpResult get(String path) {
    try {
      HttpResponse<String> response =
          HTTP.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + path))
                  .timeout(Duration.ofSeconds(5))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      return new HttpResult(response.statusCode(), response.body());
    } catch (IOException e) {
      return new HttpResult(-1, e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new HttpResult(-1, e.toString());
    }
  }

  /** A status code and body. */
  public record HttpResult(int status, String body) {}

  /** Waits until {@code /health/ready} answers 200. */
  public void awaitReady(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new AssertionError(
            "worker exited with " + process.exitValue() + " before ready:\n" + output());
      }
      if (get("/health/ready").status() == 200) {
        return;
      }
      Thread.sleep(50);
    }
    throw new AssertionError("worker not ready within " + timeout + ":\n" + output());
  }

  /** Sends SIGTERM. */
  public void terminate() {
    process.destroy();
  }

  /** Sends SIGKILL and waits for the process to be gone. */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(10, TimeUnit.SECONDS);
  }

  /** Waits for exit; returns the status, or throws if it does not exit in time. */
  public int awaitExit(Duration timeout) throws InterruptedException {
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new AssertionError("worker still running after " + timeout + ":\n" + output());
    }
    return process.exitValue();
  }

  /** Everything the process printed so far. */
  public String output() {
    try {
      return Files.readString(log, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "(no output: " + e + ")";
    }
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      kill();
    }
  }

  public static int freePort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
