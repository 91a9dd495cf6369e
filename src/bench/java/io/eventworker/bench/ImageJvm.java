package io.eventworker.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The JVM the image runs the worker in: the flags of the Dockerfile's ENTRYPOINT and its
 * application class-data-sharing archive, which the image build writes with a training run and the
 * benchmark writes the same way under {@code target/}. DockerfileIT holds the Dockerfile to these.
 */
public final class ImageJvm {

  /** The production jar, as {@code mvn package} builds it. */
  public static final Path JAR = Path.of("target", "event-worker.jar");

  /** Where the benchmark writes the archive. */
  public static final Path ARCHIVE = Path.of("target", "event-worker.jsa");

  /** The image's own paths. */
  public static final String IMAGE_JAR = "/app/event-worker.jar";

  public static final String IMAGE_ARCHIVE = "/app/event-worker.jsa";

  /** What the training run runs: the hidden command that loads and runs the hot path in memory. */
  public static final List<String> TRAINING = List.of("io.eventworker.cli.Main", "warm-up");

  private static final List<String> FLAGS =
      List.of("-XX:+UseG1GC", "-XX:MaxRAMPercentage=75", "-XX:+ExitOnOutOfMemoryError");

  private ImageJvm() {}

  /** The ENTRYPOINT's JVM flags, reading the class-data-sharing archive at {@code archive}. */
  public static List<String> flags(String archive) {
    List<String> flags = new ArrayList<>(FLAGS);
    flags.add("-XX:SharedArchiveFile=" + archive);
    return flags;
  }

  /** The same flags without the archive: the worker as it started before the image had one. */
  static List<String> flagsWithoutArchive() {
    return FLAGS;
  }

  /**
   * The training run's JVM flags: the ENTRYPOINT's, writing the archive at {@code archive} when the
   * run exits.
   */
  public static List<String> trainingFlags(String archive) {
    List<String> flags = new ArrayList<>(FLAGS);
    // Sized as in a small container: the archive records the compressed-pointer mode it was made
    // in.
    flags.add("-XX:MaxRAM=512m");
    flags.add("-XX:ArchiveClassesAtExit=" + archive);
    // Classes the archive cannot hold (picocli is built for Java 5) are named one warning each.
    flags.add("-Xlog:cds=error");
    return flags;
  }

  /**
   * Writes {@link #ARCHIVE} for the jar as built now, as the image build does: an archive from an
   * earlier build of the jar would be refused by the JVM (it checks the jar's size and time).
   */
  static void buildArchive(String javaCommand) throws IOException {
    if (!Files.isRegularFile(JAR)) {
      throw new IOException(JAR + " is missing: the benchmark runs the jar (mvn -B -q -Pbench)");
    }
    Files.deleteIfExists(ARCHIVE);
    List<String> command = new ArrayList<>();
    command.add(javaCommand);
    command.addAll(trainingFlags(ARCHIVE.toString()));
    command.addAll(List.of("-cp", JAR.toString()));
    command.addAll(TRAINING);
    Path log = Files.createTempFile("bench-cds-training", ".log");
    Process p =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    try {
      if (!p.waitFor(2, TimeUnit.MINUTES) || p.exitValue() != 0 || !Files.isRegularFile(ARCHIVE)) {
        p.destroyForcibly();
        throw new IOException(
            "the training run did not write " + ARCHIVE + ":\n" + Files.readString(log));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    } finally {
      Files.deleteIfExists(log);
    }
  }
}
