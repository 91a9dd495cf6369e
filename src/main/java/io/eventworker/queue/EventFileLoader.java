package io.eventworker.queue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;
import org.postgresql.util.PSQLException;

/**
 * Loads NDJSON lines {@code {"event_type": ..., "user_id": ..., "data": {...}}} into {@code events}
 * with one COPY in one transaction: every line is stored, or, at the first bad one, none.
 */
public final class EventFileLoader {

  private static final String COPY = "COPY events (event_type, user_id, data) FROM STDIN";
  private static final int CHUNK = 1 << 16;
  private static final String MISSING_USERS =
      """
      SELECT u.id FROM unnest(?::int4[]) AS u (id)
      WHERE NOT EXISTS (SELECT 1 FROM users WHERE users.id = u.id)
      """;
  private static final Pattern COPY_LINE = Pattern.compile("COPY events, line (\\d+)");

  /** Loads every line of {@code in}; returns how many events were stored. */
  public long load(Connection c, InputStream input)
      throws SQLException, IOException, InvalidInputException {
    LineReader in = new LineReader(input);
    boolean autoCommit = c.getAutoCommit();
    c.setAutoCommit(false);
    CopyIn copy = c.unwrap(PGConnection.class).getCopyAPI().copyIn(COPY);
    // fileLines[k] is the file line of COPY row k+1, to translate the server's row numbers.
    int[] fileLines = new int[1024];
    int rows = 0;
    // The first line naming each user: foreign keys are checked at the end of COPY, without a row.
    Map<Integer, Integer> userFirstLine = new HashMap<>();
    try {
      StringBuilder chunk = new StringBuilder(CHUNK + 1024);
      String line;
      int lineNumber = 0;
      while ((line = in.next(lineNumber + 1)) != null) {
        lineNumber++;
        if (line.isBlank()) {
          continue;
        }
        NewEvent event = parse(line, lineNumber);
        appendRow(chunk, event);
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
      write(copy, chunk);
      long stored = copy.endCopy();
      c.commit();
      return stored;
    } catch (SQLException e) {
      cancel(copy);
      c.rollback();
      if ("23503".equals(e.getSQLState())) {
        Exception refusal = missingUser(c, userFirstLine, e);
        if (refusal instanceof InvalidInputException badLine) {
          throw badLine;
        }
        throw e;
      }
      throw translate(e, fileLines, rows);
    } catch (InvalidInputException | IOException | RuntimeException e) {
      cancel(copy);
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

  private static void appendRow(StringBuilder out, NewEvent row) {
    appendText(out, row.eventType());
    out.append('\t');
    if (row.userId() == null) {
      out.append("\\N");
    } else {
      out.append(row.userId().intValue());
    }
    out.append('\t');
    appendText(out, row.data());
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

  private static void cancel(CopyIn copy) {
    try {
      if (copy.isActive()) {
        copy.cancelCopy();
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
  private static SQLException translate(SQLException e, int[] fileLines, int rows) {
    if (e instanceof PSQLException p && p.getServerErrorMessage() != null) {
      String where = String.valueOf(p.getServerErrorMessage().getWhere());
      Matcher m = COPY_LINE.matcher(where);
      if (m.find()) {
        int row = Integer.parseInt(m.group(1));
        if (row >= 1 && row <= rows) {
          String detail = p.getServerErrorMessage().getDetail();
          return new SQLException(
              "line "
                  + fileLines[row - 1]
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

  /**
   * Reads lines as bytes and decodes each one strictly, so that malformed UTF-8 is reported on the
   * line that holds it (a decoding reader works ahead and would blame an earlier line).
   */
  private static final class LineReader {
    private final InputStream in;
    private final byte[] buffer = new byte[1 << 16];
    private final CharsetDecoder utf8 =
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    private byte[] line = new byte[1024];
    private int length;
    private int position;
    private int limit;

    LineReader(InputStream in) {
      this.in = in;
    }

    /** The next line without its terminator, or null at the end of input. */
    String next(int lineNumber) throws IOException, InvalidInputException {
      length = 0;
      boolean any = false;
      while (true) {
        if (position == limit) {
          limit = Math.max(0, in.read(buffer));
          position = 0;
          if (limit == 0) {
            return any ? decode(lineNumber) : null;
          }
        }
        any = true;
        for (int i = position; i < limit; i++) {
          if (buffer[i] == '\n') {
            append(position, i - position);
            position = i + 1;
            return decode(lineNumber);
          }
        }
        append(position, limit - position);
        position = limit;
      }
    }

    private void append(int from, int count) {
      if (length + count > line.length) {
        line = Arrays.copyOf(line, Math.max(line.length * 2, length + count));
      }
      System.arraycopy(buffer, from, line, length, count);
      length += count;
    }

    private String decode(int lineNumber) throws InvalidInputException {
      int end = length > 0 && line[length - 1] == '\r' ? length - 1 : length;
      try {
        return utf8.decode(ByteBuffer.wrap(line, 0, end)).toString();
      } catch (CharacterCodingException e) {
        throw new InvalidInputException("line " + lineNumber + ": not valid UTF-8");
      }
    }
  }
}
