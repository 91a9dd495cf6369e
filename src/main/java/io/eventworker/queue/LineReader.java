package io.eventworker.queue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The lines of an NDJSON input. Reads lines as bytes and decodes each one strictly, so that
 * malformed UTF-8 is reported on the line that holds it (a decoding reader works ahead and would
 * blame an earlier line).
 */
final class LineReader {
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
