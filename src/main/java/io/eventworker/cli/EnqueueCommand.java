package io.eventworker.cli;

import io.eventworker.db.ConnectionPool;
import io.eventworker.queue.EventFileLoader;
import io.eventworker.queue.EventRepository;
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
      "  enqueue --type TYPE [--user ID] --data JSON    one event",
      "  enqueue --file FILE                           NDJSON, one event per line:",
      "    {\"event_type\": \"metric\", \"data\": {\"name\": \"cpu\", \"value\": 0.5}}",
      "",
      "A line may also give \"user_id\", which must be the id of a row in users. A file is"
          + " loaded with COPY in one transaction: if any line is bad, the command names its line"
          + " number and stores nothing. Prints how many events it stored."
    })
final class EnqueueCommand implements Callable<Integer> {

  private static final String FOREIGN_KEY_VIOLATION = "23503";

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
  }

  @Override
  public Integer call() throws SQLException, IOException, InvalidInputException {
    PrintWriter out = spec.commandLine().getOut();
    if (source.file != null) {
      long started = System.nanoTime();
      long stored;
      try (InputStream in = open(source.file);
          Connection c = ConnectionPool.openDedicated(main.config(), ConnectionPool.Use.COMMAND)) {
        stored = new EventFileLoader().load(c, in);
      }
      double seconds = (System.nanoTime() - started) / 1e9;
      out.printf(
          "stored %d event%s from %s in %.2f s%n",
          stored, stored == 1 ? "" : "s", source.file, seconds);
      return 0;
    }
    NewEvent event = NewEvent.of(source.one.type, source.one.user, source.one.data);
    try (Connection c = ConnectionPool.openDedicated(main.config(), ConnectionPool.Use.COMMAND)) {
      long id = new EventRepository().insert(c, event);
      out.printf("stored 1 event (id %d)%n", id);
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
