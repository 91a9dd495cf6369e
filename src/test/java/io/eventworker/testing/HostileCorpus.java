package io.eventworker.testing;

import java.util.ArrayList;
import java.util.List;

/**
 * What careless or malicious producers send: missing and extra fields, wrong types, nulls, strings
 * over the column limits, deep nesting, megabyte documents, odd Unicode, SQL text as values,
 * unknown and empty event types. Each event carries the outcome the worker must reach (with
 * UNHANDLED_EVENT_TYPES=fail): processed, or failed with a reason. Deterministic, so that a failure
 * can be reproduced.
 */
public final class HostileCorpus {

  /** One generated event; {@code processed} says whether the worker must process it or fail it. */
  public record HostileEvent(String kind, String eventType, String data, boolean processed) {}

  private static final String SQL_TEXT = "'); DROP TABLE users;--";
  private static final String ODD_UNICODE =
      "emoji 😀 rtl עברית zwj 👨‍👩‍👧 combining é bom \uFEFF sep \u2028 private \uE000 math"
          + " 𝔘𝔫𝔦";

  private HostileCorpus() {}

  /** {@code count} events cycling through every kind; megabyte documents are one in a thousand. */
  public static List<HostileEvent> generate(int count) {
    List<HostileEvent> events = new ArrayList<>(count);
    for (int i = 0; events.size() < count; i++) {
      events.add(event(i));
    }
    return events;
  }

  private static HostileEvent event(int i) {
    String id = "hostile-" + i;
    if (i % 1000 == 999) {
      return i % 2000 == 999
          ? ok(
              "megabyte-value",
              "data_entry",
              "{\"key\":\"" + id + "\",\"value\":\"" + "x".repeat(1 << 20) + "\"}")
          : ok(
              "megabyte-metadata",
              "data_entry",
              "{\"key\":\"" + id + "\",\"metadata\":{\"blob\":\"" + "y".repeat(1 << 20) + "\"}}");
    }
    return switch (i % 30) {
      case 0 -> bad("missing-key", "data_entry", "{\"value\":" + i + "}");
      case 1 -> bad("missing-name", "metric", "{\"value\":" + i + "}");
      case 2 -> bad("missing-value", "metric", "{\"name\":\"" + id + "\"}");
      case 3 -> bad("key-number", "data_entry", "{\"key\":" + i + "}");
      case 4 -> bad("key-array", "data_entry", "{\"key\":[\"" + id + "\"]}");
      case 5 -> bad("key-object", "data_entry", "{\"key\":{\"k\":\"" + id + "\"}}");
      case 6 -> bad("value-string", "metric", "{\"name\":\"" + id + "\",\"value\":\"12.5\"}");
      case 7 -> bad("value-boolean", "metric", "{\"name\":\"" + id + "\",\"value\":true}");
      case 8 -> bad("tags-array", "metric", "{\"name\":\"" + id + "\",\"value\":1,\"tags\":[1,2]}");
      case 9 -> bad("metadata-string", "data_entry", "{\"key\":\"" + id + "\",\"metadata\":\"m\"}");
      case 10 ->
          bad(
              "nulls",
              i % 60 == 10 ? "data_entry" : "metric",
              i % 60 == 10 ? "{\"key\":null,\"value\":null}" : "{\"name\":null,\"value\":null}");
      case 11 ->
          bad(
              "payload-not-object",
              "data_entry",
              new String[] {"[1,2]", "\"text\"", "42", "true", "null"}[(i / 30) % 5]);
      case 12 ->
          bad("key-too-long", "data_entry", "{\"key\":\"" + id + "-" + "k".repeat(300) + "\"}");
      case 13 ->
          bad(
              "type-too-long",
              "data_entry",
              "{\"key\":\"" + id + "\",\"type\":\"" + "t".repeat(51) + "\"}");
      case 14 ->
          bad("name-too-long", "metric", "{\"name\":\"" + "n".repeat(256) + "\",\"value\":1}");
      case 15 ->
          bad(
              "too-deep",
              "data_entry",
              "{\"key\":\"" + id + "\",\"value\":" + "[".repeat(2000) + "]".repeat(2000) + "}");
      case 16 ->
          bad(
              "unknown-type",
              new String[] {"invoice", "DATA_ENTRY", " data_entry", "metric\t"}[(i / 30) % 4],
              "{\"key\":\"" + id + "\",\"name\":\"" + id + "\",\"value\":1}");
      case 17 -> bad("empty-type", "", "{\"key\":\"" + id + "\"}");
      case 18 -> bad("sql-type", "x' OR '1'='1", "{\"key\":\"" + id + "\"}");
      case 19 ->
          ok(
              "extra-fields",
              "data_entry",
              "{\"key\":\""
                  + id
                  + "\",\"value\":1,\"extra\":{\"nested\":[1,2,3]},\"__proto__\":{\"admin\":true}}");
      case 20 ->
          ok(
              "sql-text",
              "data_entry",
              "{\"key\":\""
                  + SQL_TEXT
                  + id
                  + "\",\"value\":\"1; DELETE FROM events WHERE true; --\",\"type\":\"x' OR"
                  + " '1'='1\"}");
      case 21 ->
          ok(
              "sql-metric-name",
              "metric",
              "{\"name\":\"Robert'); DROP TABLE students;--" + id + "\",\"value\":1}");
      case 22 ->
          ok(
              "odd-unicode",
              "data_entry",
              "{\"key\":\"" + ODD_UNICODE + " " + id + "\",\"value\":\"" + ODD_UNICODE + "\"}");
      case 23 ->
          ok(
              "control-characters",
              "data_entry",
              "{\"key\":\"tab\\tnewline\\nquote\\\"backslash\\\\ "
                  + id
                  + "\",\"value\":\"\\u0001\\u001f\"}");
      case 24 ->
          ok(
              "deep-but-allowed",
              "data_entry",
              "{\"key\":\""
                  + id
                  + "\",\"value\":"
                  + "{\"a\":".repeat(200)
                  + "1"
                  + "}".repeat(200)
                  + "}");
      case 25 ->
          ok(
              "key-at-limit",
              "data_entry",
              "{\"key\":\"" + "é".repeat(255 - id.length()) + id + "\"}");
      case 26 -> ok("huge-number", "metric", "{\"name\":\"" + id + "\",\"value\":1e400}");
      case 27 -> ok("tiny-number", "metric", "{\"name\":\"" + id + "\",\"value\":-1e-400}");
      case 28 ->
          ok(
              "long-decimal",
              "metric",
              "{\"name\":\"" + id + "\",\"value\":123456789012345678901234567890.123456789}");
      default -> ok("numbers-as-value", "data_entry", "{\"key\":\"" + id + "\",\"value\":-0.0e10}");
    };
  }

  private static HostileEvent ok(String kind, String type, String data) {
    return new HostileEvent(kind, type, data, true);
  }

  private static HostileEvent bad(String kind, String type, String data) {
    return new HostileEvent(kind, type, data, false);
  }
}
