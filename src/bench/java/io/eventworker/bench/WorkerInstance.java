package io.eventworker.bench;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A worker process started from the built jar with the image's JVM flags and class-data-sharing
 * archive ({@link ImageJvm}), as one small container runs it: {@code -XX:MaxRAM} stands in for the
 * container's memory limit (it sizes the heap, but the collector is the JVM's pick for the host,
 * hence the image names it). The benchmark counts its progress through /metrics and reads its CPU
 * time and peak memory from /proc.
 */
final class WorkerInstance implements AutoCloseable {

  private static final Pattern HANDLED =
      Pattern.compile(
          "^eventworker_events_total\\{result=\"(processed|failed)\",type=\"[^\"]*\"} ([0-9.E+]+)$",
          Pattern.MULTILINE);
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  // Linux reports CPU time in clock ticks of 1/100 s on every platform the JVM runs on.
  private static final double CLOCK_TICKS = 100.0;

  private final Process process;
  private final Path log;
  private final int port;
  private final long startedNanos;

  private WorkerInstance(Process process, Path log, int port, long startedNanos) {
    this.process = process;
    this.log = log;
    this.port = port;
    this.startedNanos = startedNanos;
  }

  /** The JVM a worker runs in: its flags besides the memory limit, and a name for the tables. */
  record Jvm(String name, List<String> flags) {
    /** The image's JVM, with its class-data-sharing archive (see {@link ImageJvm}). */
    static final Jvm IMAGE = new Jvm("image", ImageJvm.flags(ImageJvm.ARCHIVE.toString()));
  }

  /** Starts {@code run} on the benchmark's database with the given settings, and waits for it. */
  static WorkerInstance start(
      BenchDatabase db, int threads, int batchSize, String memory, Map<String, String> settings)
      throws IOException {
    WorkerInstance worker = launch(db, Jvm.IMAGE, threads, batchSize, memory, settings);
    worker.awaitReady();
    return worker;
  }

  /**
   * Starts {@code run} of the jar in {@code jvm} on the benchmark's database with the given
   * settings, without waiting for it to be ready.
   */
  static WorkerInstance launch(
      BenchDatabase db,
      Jvm jvm,
      int threads,
      int batchSize,
      String memory,
      Map<String, String> settings)
      throws IOException {
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    Path log = Files.createTempFile("bench-worker", ".log");
    List<String> command = new ArrayList<>();
    command.add(javaCommand());
    command.addAll(jvm.flags());
    command.add("-XX:MaxRAM=" + memory);
    command.addAll(List.of("-cp", ImageJvm.JAR.toString(), "io.eventworker.cli.Main", "run"));
    ProcessBuilder builder =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    var env = builder.environment();
    env.remove("DATABASE_PASSWORD");
    env.putAll(db.processEnvironment());
    env.put("WORKER_THREADS", Integer.toString(threads));
    env.put("BATCH_SIZE", Integer.toString(batchSize));
    env.put("DB_POOL_SIZE", Integer.toString(Math.max(10, threads + 1)));
    env.put("HTTP_HOST", "127.0.0.1");
    env.put("HTTP_PORT", Integer.toString(port));
    env.put("LOG_LEVEL", "WARN");
    env.putAll(settings);
    long started = System.nanoTime();
    return new WorkerInstance(builder.start(), log, port, started);
  }

  /**
   * {@code event-worker ARGS} as a child process of this one (same classpath), on the benchmark's
   * database, output and errors merged.
   */
  static ProcessBuilder command(BenchDatabase db, List<String> jvmFlags, String... args) {
    List<String> command = new ArrayList<>();
    command.add(javaCommand());
    command.addAll(jvmFlags);
    command.addAll(
        List.of("-cp", System.getProperty("java.class.path"), "io.eventworker.cli.Main"));
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().remove("DATABASE_PASSWORD");
    builder.environment().putAll(db.processEnvironment());
    return builder;
  }

  /**
   * Waits until /health/ready answers 200; returns the seconds from the process's start until then
   * (polled every 10 ms).
   */
  double awaitReady() throws IOException {
    long deadline = startedNanos + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IOException("the worker exited with " + process.exitValue() + ":\n" + output());
      }
      try {
        if (get("/health/ready").statusCode() == 200) {
          return (System.nanoTime() - startedNanos) / 1e9;
        }
      } catch (IOException notYet) {
        // Still starting.
      }
      sleep(10);
    }
    throw new IOException("the worker was not ready within 60 s:\n" + output());
  }

  /** Events processed or failed so far, from the worker's own counters. */
  long handled() throws IOException {
    return count(null);
  }

  /** Events processed so far (failures not counted). */
  long processed() throws IOException {
    return count("processed");
  }

  private long count(String result) throws IOException {
    Matcher m = HANDLED.matcher(get("/metrics").body());
    double total = 0;
    while (m.find()) {
      if (result == null || result.equals(m.group(1))) {
        total += Double.parseDouble(m.group(2));
      }
    }
    return (long) total;
  }

  /** User plus system CPU seconds the process has used. */
  double cpuSeconds() throws IOException {
    return cpuSecondsIn(Path.of("/proc", Long.toString(process.pid()), "stat"));
  }

  /** User plus system CPU seconds from a /proc stat file (a process's or a thread's). */
  private static double cpuSecondsIn(Path statFile) throws IOException {
    String stat = Files.readString(statFile);
    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) / CLOCK_TICKS;
  }

  /**
   * CPU seconds the JVM's JIT compiler threads have used: high while the code is still warming up.
   */
  double compilerSeconds() throws IOException {
    double total = 0;
    try (var tasks = Files.list(Path.of("/proc", Long.toString(process.pid()), "task"))) {
      for (Path task : tasks.toList()) {
        try {
          String name = Files.readString(task.resolve("comm"));
          if (name.startsWith("C") && name.contains("Compiler")) {
            total += cpuSecondsIn(task.resolve("stat"));
          }
        } catch (IOException threadGone) {
          // The thread ended while we looked.
        }
      }
    }
    return total;
  }

  /** The process's peak resident memory (VmHWM), in megabytes. */
  double peakResidentMegabytes() throws IOException {
    for (String line :
        Files.readAllLines(Path.of("/proc", Long.toString(process.pid()), "status"))) {
      if (line.startsWith("VmHWM:")) {
        return Long.parseLong(line.replaceAll("\\D", "")) / 1024.0;
      }
    }
    return Double.NaN;
  }

  String output() {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      return "(no output)";
    }
  }

  /** GETs a path of the worker's HTTP endpoint. */
  HttpResponse<String> get(String path) throws IOException {
    try {
      return HTTP.send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
              .timeout(Duration.ofSeconds(5))
              .build(),
          HttpResponse.BodyHandlers.ofString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
  }

  /** Sends SIGTERM, as an orchestrator scales in, without waiting. */
  void terminate() {
    process.destroy();
  }

  /** Waits up to 15 s for the process to exit (then kills it); returns its exit status. */
  int awaitExit() throws IOException {
    try {
      if (!process.waitFor(15, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new IOException("the worker did not exit within 15 s of SIGTERM:\n" + output());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
      throw new IOException(e);
    }
    return process.exitValue();
  }

  /** SIGTERM, as an orchestrator stops it. Closing twice does nothing more. */
  @Override
  public void close() throws IOException {
    if (process.isAlive()) {
      process.destroy();
      try {
        if (!process.waitFor(15, TimeUnit.SECONDS)) {
          process.destroyForcibly();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        process.destroyForcibly();
      }
    }
    Files.deleteIfExists(log);
  }

  static String javaCommand() {
    return ProcessHandle.current().info().command().orElse("java");
  }

  static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
