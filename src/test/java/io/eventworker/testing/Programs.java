package io.eventworker.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The outside programs the deployment tests run (promtool, prometheus, postgres_exporter,
 * docker-compose, psql, the backup scripts). The tests install nothing: a missing program fails the
 * test at once, naming the setup step that installs it. It is never skipped.
 */
public final class Programs {

  /** The one setup step that installs the deployment tools (see docs/TESTING.md). */
  public static final String SETUP_STEP = "bash deploy/local/install-tools.sh";

  private Programs() {}

  // PostgreSQL's own programs come with PostgreSQL 15, a prerequisite the setup step leaves alone.
  private static final Set<String> POSTGRES =
      Set.of("psql", "pg_dump", "pg_restore", "pg_ctl", "initdb", "pg_basebackup");

  /** The path of the first of {@code names} found on PATH; fails the test if there is none. */
  public static String require(String... names) {
    String found = find(names);
    if (found == null) {
      String remedy =
          POSTGRES.containsAll(List.of(names))
              ? "install PostgreSQL 15's programs (see docs/TESTING.md)"
              : "run `" + SETUP_STEP + "` once before the tests (see docs/TESTING.md)";
      throw new AssertionError("none of " + List.of(names) + " is on PATH: " + remedy);
    }
    return found;
  }

  private static String find(String... names) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
      for (String name : names) {
        Path candidate = Path.of(dir, name);
        if (Files.isExecutable(candidate)) {
          return candidate.toString();
        }
      }
    }
    return null;
  }

  /** Exit status and combined output of a finished program. */
  public record Result(int status, String output) {}

  /** Runs a program to completion (or fails the test after {@code timeout}). */
  public static Result run(Map<String, String> env, Duration timeout, String... command) {
    try {
      ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
      builder.environment().putAll(env);
      Path out = Files.createTempFile("program", ".out");
      builder.redirectOutput(out.toFile());
      Process p = builder.start();
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        throw new AssertionError(String.join(" ", command) + " did not finish in " + timeout);
      }
      String output = Files.readString(out, StandardCharsets.UTF_8);
      Files.delete(out);
      return new Result(p.exitValue(), output);
    } catch (IOException e) {
      throw new AssertionError("cannot run " + String.join(" ", command) + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** Starts a long-running program with its output in {@code log}; the caller stops it. */
  public static Process start(Map<String, String> env, Path log, String... command)
      throws IOException {
    ProcessBuilder builder =
        new ProcessBuilder(new ArrayList<>(List.of(command)))
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    builder.environment().putAll(env);
    return builder.start();
  }
}
