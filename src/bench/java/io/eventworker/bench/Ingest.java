package io.eventworker.bench;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** How fast producers can store events: the enqueue command's COPY, and plain multi-row INSERTs. */
final class Ingest {

  private static final Pattern STORED =
      Pattern.compile("stored (\\d+) events from .* in ([0-9.]+) s");
  private static final Pattern PSQL_TIME = Pattern.compile("Time: ([0-9.]+) ms");

  private Ingest() {}

  /** Runs {@code enqueue --file} as its own process on {@code count} events; events per second. */
  static double enqueueFile(BenchDatabase db, long count) throws IOException, InterruptedException {
    return enqueueFile(db, count, null);
  }

  /**
   * As {@link #enqueueFile(BenchDatabase, long)}, each line with the idempotency key {@code
   * keyPrefix} and its number unless {@code keyPrefix} is null.
   */
  static double enqueueFile(BenchDatabase db, long count, String keyPrefix)
      throws IOException, InterruptedException {
    Path file = Files.createTempFile("bench-events", ".ndjson");
    try {
      try (BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
        for (long i = 1; i <= count; i++) {
          out.write(
              "{\"event_type\":\""
                  + type(i)
                  + "\",\"user_id\":"
                  + user(i)
                  + ",\"data\":"
                  + payload(i)
                  + (keyPrefix == null ? "" : ",\"idempotency_key\":\"" + keyPrefix + i + "\"")
                  + "}\n");
        }
      }
      String output =
          run(WorkerInstance.command(db, List.of(), "enqueue", "--file", file.toString()));
      Matcher m = STORED.matcher(output);
      if (!m.find() || Long.parseLong(m.group(1)) != count) {
        throw new IOException("unexpected output of enqueue --file:\n" + output);
      }
      return count / Double.parseDouble(m.group(2));
    } finally {
      Files.deleteIfExists(file);
    }
  }

  /**
   * The same {@code count} events as {@link #enqueueFile}, in COPY's text format, stored by {@code
   * psql \copy}; events per second by psql's own timing of the copy.
   */
  static double psqlCopy(BenchDatabase db, long count)
      throws IOException, InterruptedException, SQLException {
    Path file = Files.createTempFile("bench-events", ".tsv");
    try {
      try (BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
        for (long i = 1; i <= count; i++) {
          out.write(type(i) + "\t" + user(i) + "\t" + copyText(payload(i)) + "\n");
        }
      }
      ProcessBuilder psql =
          new ProcessBuilder(
              "psql",
              "-X",
              "-q",
              "-v",
              "ON_ERROR_STOP=1",
              "-c",
              "\\timing on",
              "-c",
              "\\copy events (event_type, user_id, data) FROM '" + file + "'");
      psql.environment().putAll(db.libpqEnvironment());
      Matcher m = PSQL_TIME.matcher(run(psql));
      if (!m.find() || db.queryLong("SELECT count(*) FROM events") < count) {
        throw new IOException("psql \\copy did not store " + count + " events");
      }
      return count / (Double.parseDouble(m.group(1)) / 1000);
    } finally {
      Files.deleteIfExists(file);
    }
  }

  private static String run(ProcessBuilder command) throws IOException, InterruptedException {
    Process p = command.redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
      throw new IOException(command.command().get(0) + " failed:\n" + output);
    }
    return output;
  }

  /** COPY's text format: backslash, tab and newline escaped. */
  private static String copyText(String value) {
    return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n");
  }

  private static String type(long i) {
    return i % 2 == 1 ? "data_entry" : "metric";
  }

  private static long user(long i) {
    return 1 + i % BenchDatabase.USERS;
  }

  private static String payload(long i) {
    return payload(i % 2 == 1, "file-", i);
  }

  /**
   * One producer connection, {@code rowsPerStatement} events per INSERT, each its own transaction.
   */
  static double multiRowInserts(BenchDatabase db, long count, int rowsPerStatement)
      throws SQLException {
    StringBuilder sql = new StringBuilder("INSERT INTO events (event_type, user_id, data) VALUES ");
    for (int i = 0; i < rowsPerStatement; i++) {
      sql.append(i == 0 ? "" : ", ").append("(?, ?, ?::jsonb)");
    }
    long started = System.nanoTime();
    try (Connection c = db.connect();
        PreparedStatement insert = c.prepareStatement(sql.toString())) {
      c.setAutoCommit(true);
      for (long done = 0; done < count; done += rowsPerStatement) {
        for (int i = 0; i < rowsPerStatement; i++) {
          long n = done + i;
          boolean entry = n % 2 == 0;
          insert.setString(3 * i + 1, entry ? "data_entry" : "metric");
          insert.setInt(3 * i + 2, (int) (1 + n % BenchDatabase.USERS));
          insert.setString(3 * i + 3, payload(entry, "insert-", n));
        }
        insert.executeUpdate();
      }
    }
    return count / ((System.nanoTime() - started) / 1e9);
  }

  /** A producer's payload: a data entry keyed {@code keyPrefix + n}, or a metric. */
  private static String payload(boolean entry, String keyPrefix, long n) {
    return entry
        ? "{\"key\":\"" + keyPrefix + n + "\",\"value\":{\"enabled\":true},\"type\":\"preference\"}"
        : "{\"name\":\"request_ms\",\"value\":"
            + (n % 1000) * 0.25
            + ",\"tags\":{\"route\":\"/api\"}}";
  }
}
