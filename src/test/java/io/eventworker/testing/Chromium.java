package io.eventworker.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Debian's {@code chromium}, headless, loading a page as a browser does: the DOM it built, or a
 * screenshot. Its profile and its home are under {@code target/chromium}; missing, it fails the
 * test naming the setup step (never skipped).
 */
public final class Chromium {

  private static final Path HOME = Path.of("target", "chromium");
  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  private final String program;

  private Chromium(String program) {
    this.program = program;
  }

  /** The installed browser; fails the test if there is none. */
  public static Chromium require() {
    return new Chromium(Programs.require("chromium", "chromium-browser"));
  }

  /** The document Chromium built from {@code url}, serialized ({@code --dump-dom}). */
  public String dumpDom(String url) {
    return run("--dump-dom", url);
  }

  /** A PNG screenshot of {@code url} at {@code width} x {@code height}, written to {@code file}. */
  public void screenshot(String url, Path file, int width, int height) {
    run("--screenshot=" + file.toAbsolutePath(), "--window-size=" + width + "," + height, url);
  }

  private String run(String... args) {
    List<String> command = new ArrayList<>();
    command.addAll(
        List.of(
            program,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--user-data-dir=" + HOME.resolve("profile").toAbsolutePath()));
    command.addAll(List.of(args));
    try {
      Files.createDirectories(HOME);
      Path out = Files.createTempFile(HOME, "chromium", ".out");
      Path err = Files.createTempFile(HOME, "chromium", ".err");
      ProcessBuilder builder =
          new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
      builder.environment().put("HOME", HOME.toAbsolutePath().toString());
      Process p = builder.start();
      if (!p.waitFor(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        throw new AssertionError("chromium did not finish in " + TIMEOUT + ": " + command);
      }
      String output = Files.readString(out, StandardCharsets.UTF_8);
      if (p.exitValue() != 0) {
        throw new AssertionError(
            "chromium exited with " + p.exitValue() + ": " + Files.readString(err));
      }
      Files.delete(out);
      Files.delete(err);
      return output;
    } catch (IOException e) {
      throw new AssertionError("cannot run " + command + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
