package io.eventworker.queue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;
import org.postgresql.util.PSQLException;

/**
 * Loads NDJSON lines {@code {"event_type": ..., "user_id": ..., "data": {...}}} into {@code events}
 * in one transaction: every line is stored, or, at the first bad one, none. Lines go to {@code
 * events} with COPY; from the first line with an {@code idempotency_key} on, through {@link
 * StagedEvents}, so that duplicates are skipped and reported while the rest is stored.
 */
public final class EventFileLoader {

  // run_at is always named: a line without one gets 'now', PostgreSQL's input for the
  // transaction's start, which is what the column's default now() gives.
  private static final String COPY = "COPY events (event_type, user_id, data, run_at) FROM STDIN";
  private static final String NOW = "now";
  private static final int CHUNK = 1 << 16;
  private static final String MISSING_USERS =
      """
      SELECT u.id FROM unnest(?::int4[]) AS u (id)
      WHERE NOT EXISTS (SELECT 1 FROM users WHERE users.id = u.id)
      """;
  private static final Pattern COPY_LINE = Pattern.compile("COPY events(?:_staged)?, line (\\d+)");

  /** What a load did: how many events it stored, and the lines it skipped as duplicates. */
  public record Loaded(long stored, List<Skipped> skipped) {}

  /**
   * A line not stored because of its idempotency key: an earlier line has it ({@code firstLine}, or
   * 0 when none) or an event of its type was stored with it already.
   */
  public record Skipped(int line, String eventType, String key, int firstLine) {}

  /** The state of one load: the COPY in progress and where its rows came from. */
  private static final class Copying {
    final Connection c;
    CopyIn copy;
    boolean staged;
    long storedDirectly;
    // fileLines[k] is the file line of row k+1 of the file's COPYs, to translate the server's
    // row numbers; stagedFrom is the first row of the staged COPY.
    int[] fileLines = new int[1024];
    int rows;
    int stagedFrom;
    // The first line naming each user: foreign keys are checked at the end of the statement.
    final Map<Integer, Integer> userFirstLine = new HashMap<>();
    final StringBuilder chunk = new StringBuilder(CHUNK + 1024);

    Copying(Connection c) throws SQLException {
      this.c = c;
      this.copy = c.unwrap(PGConnection.class).getCopyAPI().copyIn(COPY);
    }

    void add(NewEvent event, int lineNumber) throws SQLException {
      if (!staged && event.idempotencyKey() != null) {
        write(copy, chunk);
        storedDirectly = copy.endCopy();
        StagedEvents.create(c);
        copy = c.unwrap(PGConnection.class).getCopyAPI().copyIn(StagedEvents.COPY);
        staged = true;
        stagedFrom = rows;
      }
      appendRow(chunk, event, staged ? lineNumber : 0);
      if (event.userId() != null) {
        userFirstLine.putIfAbsent(event.userId(), lineNumber);
      }
      if (rows == fileLines.length) {
        fileLines = Arrays.copyOf(fileLines, rows * 2);
      }
      fileLines[rows++] = lineNumber;
      if (chunk.length() >= CHUNK) {
        write(copy, chunk);
      }
    }

    Loaded finish() throws SQLException {
      write(copy, chunk);
      long copied = copy.endCopy();
      if (!staged) {
        return new Loaded(copied, List.of());
      }
      List<Skipped> skipped = StagedEvents.insert(c);
      return new Loaded(storedDirectly + copied - skipped.size(), skipped);
    }
  }

  /** Loads every line of {@code in}; returns what was stored and skipped. */
  public Loaded load(Connection c, InputStream input)
      throws SQLException, IOException, InvalidInputException {
    LineReader in = new LineReader(input);
    boolean autoCommit = c.getAutoCommit();
    c.setAutoCommit(false);
    Copying copying = null;
    try {
      copying = new Copying(c);
      String line;
      int lineNumber = 0;
      while ((line = in.next(lineNumber + 1)) != null) {
        lineNumber++;
        if (!line.isBlank()) {
          copying.add(parse(line, lineNumber), lineNumber);
        }
      }
      Loaded loaded = copying.finish();
      c.commit();
      return loaded;
    } catch (SQLException e) {
      cancel(copying);
      c.rollback();
      if ("23503".equals(e.getSQLState()) && copying != null) {
        Exception refusal = missingUser(c, copying.userFirstLine, e);
        if (refusal instanceof InvalidInputException badLine) {
          throw badLine;
        }
        throw e;
      }
      throw copying == null ? e : translate(e, copying);
    } catch (InvalidInputException | IOException | RuntimeException e) {
      cancel(copying);
      c.rollback();
      throw e;
    } finally {
      c.setAutoCommit(autoCommit);
    }
  }

  private static NewEvent parse(String line, int lineNumber) throws InvalidInputException {
    try {
      return NewEvent.parseLine(line);
    } catch (InvalidInputException e) {
      throw new InvalidInputException("line " + lineNumber + ": " + e.getMessage());
    }
  }

  /** One row of COPY events, or, with a line number, of COPY events_staged. */
  private static void appendRow(StringBuilder out, NewEvent row, int stagedLine) {
    if (stagedLine > 0) {
      out.append(stagedLine).append('\t');
    }
    appendText(out, row.eventType());
    out.append('\t');
    if (row.userId() == null) {
      out.append("\\N");
    } else {
      out.append(row.userId().intValue());
    }
    out.append('\t');
    appendText(out, row.data());
    out.append('\t');
    if (row.runAt() != null) {
      appendText(out, row.runAt());
    } else {
      out.append(stagedLine > 0 ? "\\N" : NOW);
    }
    if (stagedLine > 0) {
      out.append('\t');
      if (row.idempotencyKey() == null) {
        out.append("\\N");
      } else {
        appendText(out, row.idempotencyKey());
      }
    }
    out.append('\n');
  }

  /** COPY's text format: backslash, tab, newline and carriage return are escaped. */
  private static void appendText(StringBuilder out, String value) {
    for (int i = 0; i < value.length(); i++) {
      char ch = value.charAt(i);
      switch (ch) {
        case '\\' -> out.append("\\\\");
        case '\t' -> out.append("\\t");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        default -> out.append(ch);
      }
    }
  }

  private static void write(CopyIn copy, StringBuilder chunk) throws SQLException {
    if (chunk.length() > 0) {
      byte[] bytes = chunk.toString().getBytes(StandardCharsets.UTF_8);
      copy.writeToCopy(bytes, 0, bytes.length);
      chunk.setLength(0);
    }
  }

  private static void cancel(Copying copying) {
    try {
      if (copying != null && copying.copy.isActive()) {
        copying.copy.cancelCopy();
      }
    } catch (SQLException ignored) {
      // The transaction is rolled back next; nothing of the file is kept either way.
    }
  }

  /** Names the first line whose user_id is not in users, after COPY failed on the foreign key. */
  private static Exception missingUser(
      Connection c, Map<Integer, Integer> userFirstLine, SQLException e) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(MISSING_USERS)) {
      ps.setArray(1, c.createArrayOf("int4", userFirstLine.keySet().toArray()));
      int firstLine = Integer.MAX_VALUE;
      Integer firstUser = null;
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          int line = userFirstLine.get(rs.getInt(1));
          if (line < firstLine) {
            firstLine = line;
            firstUser = rs.getInt(1);
          }
        }
      }
      c.rollback();
      if (firstUser == null) {
        return e;
      }
      return new InvalidInputException(
          "line " + firstLine + ": user_id " + firstUser + " is not in the users table");
    }
  }

  /** Points a server error about COPY row k at the file line it came from. */
  private static SQLException translate(SQLException e, Copying copying) {
    if (e instanceof PSQLException p && p.getServerErrorMessage() != null) {
      String where = String.valueOf(p.getServerErrorMessage().getWhere());
      Matcher m = COPY_LINE.matcher(where);
      if (m.find()) {
        int row =
            Integer.parseInt(m.group(1))
                + (where.contains("events_staged") ? copying.stagedFrom : 0);
        if (row >= 1 && row <= copying.rows) {
          String detail = p.getServerErrorMessage().getDetail();
          return new SQLException(
              "line "
                  + copying.fileLines[row - 1]
                  + ": "
                  + p.getServerErrorMessage().getMessage()
                  + (detail == null ? "" : " (" + detail + ")"),
              e.getSQLState(),
              e);
        }
      }
    }
    return e;
  }
}
