package io.eventworker.json;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;

/** The one JSON configuration of the worker: numbers keep their exact decimal form. */
public final class Json {

  // The longest number jsonb writes out: numeric's 131,072 digits before the point and 16,383
  // after, a sign and a point. The parser's default, 1,000, failed valid payloads: 1e1000, six
  // characters as the producer wrote it, comes back as 1,001 digits.
  static final int MAX_NUMBER_LENGTH = 131_072 + 16_383 + 2;
  // The longest string jsonb stores (2^28 - 1 bytes), for values and keys alike. How much payload
  // a batch may hold is the worker's payload budget to say, not the parser's.
  static final int MAX_STRING_LENGTH = (1 << 28) - 1;

  /**
   * Reads 1.10 as 1.10 and 1e400 as a finite decimal, never as a rounded or infinite double; reads
   * any number, string and key PostgreSQL can store, numbers of many digits in near-linear time
   * (the JDK's own parsing is quadratic in the digits: docs/PERFORMANCE.md).
   */
  public static final ObjectMapper MAPPER =
      JsonMapper.builder(
              JsonFactory.builder()
                  .streamReadConstraints(
                      StreamReadConstraints.builder()
                          .maxNumberLength(MAX_NUMBER_LENGTH)
                          .maxStringLength(MAX_STRING_LENGTH)
                          .maxNameLength(MAX_STRING_LENGTH)
                          .build())
                  .enable(StreamReadFeature.USE_FAST_BIG_NUMBER_PARSER)
                  .build())
          .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
          .nodeFactory(JsonNodeFactory.withExactBigDecimals(true))
          .build();

  private Json() {}
}
