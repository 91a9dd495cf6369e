package io.eventworker.cli;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import io.eventworker.config.Settings;
import io.eventworker.db.ConnectionPool;
import io.eventworker.queue.EventFileLoader;
import io.eventworker.queue.EventInserts;
import io.eventworker.queue.InvalidInputException;
import io.eventworker.queue.NewEvent;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code event-worker enqueue}: inserts events as a producer would. */
@Command(
    name = "enqueue",
    mixinStandardHelpOptions = true,
    description = {
      "Inserts events into the events table, as a producer would.",
      "",
      "  enqueue --type TYPE [--user ID] --data JSON [--run-at WHEN | --delay DURATION]"
          + " [--key KEY]",
      "                                                one event",
      "  enqueue --file FILE                           NDJSON, one event per line:",
      "    {\"event_type\": \"metric\", \"data\": {\"name\": \"cpu\", \"value\": 0.5}}",
      "",
      "A line may also give \"user_id\", which must be the id of a row in users, \"run_at\""
          + " (when it falls due, a time as for --run-at) and \"idempotency_key\" (as --key). A"
          + " file is loaded in one transaction: if any line is bad, the command names its line"
          + " number and stores nothing. An event whose key an event of its type has already, in"
          + " the table or on an earlier line, is skipped and its line reported; the rest is"
          + " stored. Prints how many events it stored."
    })
final class EnqueueCommand implements Callable<Integer> {

  private static final String FOREIGN_KEY_VIOLATION = "23503";
  // Ten years: a delay beyond is a mistake, and far beyond overflows PostgreSQL's timestamps.
  private static final Duration MAX_DELAY = Duration.ofDays(3650);

  @ParentCommand Main main;
  @Spec CommandSpec spec;

  @ArgGroup(exclusive = true, multiplicity = "1")
  Source source;

  static final class Source {
    @ArgGroup(exclusive = false)
    One one;

    @Option(
        names = "--file",
        paramLabel = "FILE",
        description = "NDJSON file to load ('-' for standard input)")
    String file;
  }

  static final class One {
    @Option(
        names = "--type",
        required = true,
        paramLabel = "TYPE",
        description = "event_type, such as data_entry or metric")
    String type;

    @Option(names = "--user", paramLabel = "ID", description = "user_id (optional)")
    Integer user;

    @Option(
        names = "--data",
        required = true,
        paramLabel = "JSON",
        description = "the payload, a JSON object")
    String data;

    @Option(
        names = "--key",
        paramLabel = "KEY",
        description =
            "idempotency_key: stored once per event type; enqueued again, the event is skipped")
    String key;

    @Option(
        names = "--run-at",
        paramLabel = "WHEN",
        description =
            "due then, not before: a date (2026-11-24), a time in DB_TIMEZONE (2026-11-24T05:00)"
                + " or a time with an offset (2026-11-24T05:00Z)")
    String runAt;

    @Option(
        names = "--delay",
        paramLabel = "DURATION",
        description = "due this long from now: 500ms, 30s, 5m, 1h, 7d (at most 3650d)")
    String delay;
  }

  @Override
  public Integer call() throws SQLException, IOException, InvalidInputException {
    PrintWriter out = spec.commandLine().getOut();
    if (source.file != null) {
      long started = System.nanoTime();
      EventFileLoader.Loaded loaded;
      try (InputStream in = open(source.file);
          Connection c = ConnectionPool.openDedicated(main.config(), ConnectionPool.Use.COMMAND)) {
        loaded = new EventFileLoader().load(c, in);
      }
      double seconds = (System.nanoTime() - started) / 1e9;
      long stored = loaded.stored();
      int skipped = loaded.skipped().size();
      out.printf(
          "stored %d event%s from %s in %.2f s%s%n",
          stored,
          stored == 1 ? "" : "s",
          source.file,
          seconds,
          skipped == 0 ? "" : "; skipped " + skipped + " duplicate" + (skipped == 1 ? "" : "s"));
      loaded.skipped().forEach(s -> out.println(describe(s)));
      return 0;
    }
    NewEvent event = oneEvent(source.one);
    Duration delay = delay(source.one);
    try (Connection c = ConnectionPool.openDedicated(main.config(), ConnectionPool.Use.COMMAND)) {
      EventInserts.Inserted inserted = new EventInserts().insert(c, event, delay);
      String due = event.runAt() == null && delay.isZero() ? "" : ", due " + inserted.runAt();
      if (inserted.stored()) {
        out.printf("stored 1 event (id %d%s)%n", inserted.id(), due);
      } else {
        out.printf(
            "skipped 1 event: an event of type %s with idempotency_key %s is already stored"
                + " (id %d)%n",
            quoted(event.eventType()), quoted(event.idempotencyKey()), inserted.id());
      }
    } catch (SQLException e) {
      if (FOREIGN_KEY_VIOLATION.equals(e.getSQLState()) && event.userId() != null) {
        throw new InvalidInputException(
            "--user "
                + event.userId()
                + ": user_id "
                + event.userId()
                + " is not in the users table");
      }
      throw e;
    }
    return 0;
  }

  private static NewEvent oneEvent(One one) throws InvalidInputException {
    if (one.runAt != null && one.delay != null) {
      throw new InvalidInputException("--run-at and --delay exclude each other: give one of them");
    }
    NewEvent event = NewEvent.of(one.type, one.user, one.data);
    if (one.runAt != null) {
      event = event.withRunAt(one.runAt, "--run-at");
    }
    return one.key == null ? event : event.withIdempotencyKey(one.key, "--key");
  }

  private static Duration delay(One one) throws InvalidInputException {
    if (one.delay == null) {
      return Duration.ZERO;
    }
    Duration delay = Settings.parseDuration(one.delay);
    if (delay == null || delay.compareTo(MAX_DELAY) > 0) {
      throw new InvalidInputException(
          "--delay "
              + one.delay
              + ": expected a duration with a unit, such as 500ms, 30s, 5m, 1h or 7d, up to 3650d");
    }
    return delay;
  }

  private static String describe(EventFileLoader.Skipped s) {
    String key = "idempotency_key " + quoted(s.key());
    return s.firstLine() > 0
        ? String.format("line %d: skipped, %s is on line %d already", s.line(), key, s.firstLine())
        : String.format(
            "line %d: skipped, an event of type %s with %s is already stored",
            s.line(), quoted(s.eventType()), key);
  }

  /** As a JSON string: a producer's text, with any control character escaped. */
  private static String quoted(String text) {
    return "\"" + new String(JsonStringEncoder.getInstance().quoteAsString(text)) + "\"";
  }

  private static InputStream open(String file) throws IOException, InvalidInputException {
    if (file.equals("-")) {
      return System.in;
    }
    Path path = Path.of(file);
    if (Files.isDirectory(path)) {
      throw new InvalidInputException(file + " is a directory, not an NDJSON file");
    }
    try {
      return Files.newInputStream(path);
    } catch (NoSuchFileException e) {
      throw new InvalidInputException("no such file: " + file);
    } catch (AccessDeniedException e) {
      throw new InvalidInputException("cannot read " + file + ": permission denied");
    }
  }
}
