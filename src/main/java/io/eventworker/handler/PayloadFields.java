package io.eventworker.handler;

import com.fasterxml.jackson.databind.JsonNode;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.math.BigDecimal;

/**
 * Checks on payload fields that throw {@link InvalidEventException} with a message naming the field
 * and the problem. Lengths count characters, as PostgreSQL's {@code varchar(n)} does. {@link #bind}
 * reads a whole payload into a record, with the same messages.
 */
public final class PayloadFields {

  /** The most characters a record's string component may hold, as {@code varchar(n)} would. */
  @Retention(RetentionPolicy.RUNTIME)
  @Target(ElementType.RECORD_COMPONENT)
  public @interface MaxLength {
    int value();
  }

  private PayloadFields() {}

  /**
   * The payload, which must be a JSON object, bound to the record {@code type}: each component from
   * the field of its name. A component is required unless it is an {@link java.util.Optional};
   * strings, numbers, booleans, objects ({@code JsonNode}, {@code Map} or a nested record) and
   * arrays must be of their JSON kind; {@link MaxLength} limits a string. Fields the record does
   * not name are ignored. An {@link IllegalArgumentException} thrown by the record's constructor
   * makes the event invalid, with its message.
   */
  public static <T extends Record> T bind(Event event, Class<T> type) throws InvalidEventException {
    return PayloadBinding.of(type).bind(object(event), "");
  }

  /** The payload, which must be a JSON object. */
  public static JsonNode object(Event event) throws InvalidEventException {
    JsonNode data = event.data();
    if (!data.isObject()) {
      throw new InvalidEventException("payload must be a JSON object, got " + kind(data));
    }
    return data;
  }

  public static String requiredString(JsonNode data, String field, int maxLength)
      throws InvalidEventException {
    String value = optionalString(data, field, maxLength);
    if (value == null) {
      throw required(field);
    }
    return value;
  }

  /** The string, or null when the field is absent or JSON null. */
  public static String optionalString(JsonNode data, String field, int maxLength)
      throws InvalidEventException {
    JsonNode node = data.get(field);
    if (node == null || node.isNull()) {
      return null;
    }
    return string(node, field, maxLength);
  }

  /**
   * {@code node}, a value of {@code field} that is not null, as a string of at most {@code
   * maxLength}.
   */
  static String string(JsonNode node, String field, int maxLength) throws InvalidEventException {
    if (!node.isTextual()) {
      throw mustBe(field, "a string", node);
    }
    String value = node.textValue();
    int length = value.codePointCount(0, value.length());
    if (length > maxLength) {
      throw new InvalidEventException(
          "field '"
              + field
              + "' is "
              + length
              + " characters long, at most "
              + maxLength
              + " allowed");
    }
    return value;
  }

  public static BigDecimal requiredNumber(JsonNode data, String field)
      throws InvalidEventException {
    JsonNode node = data.get(field);
    if (node == null || node.isNull()) {
      throw required(field);
    }
    if (!node.isNumber()) {
      throw mustBe(field, "a number", node);
    }
    return node.decimalValue();
  }

  /** The object, or null when the field is absent or JSON null. */
  public static JsonNode optionalObject(JsonNode data, String field) throws InvalidEventException {
    JsonNode node = data.get(field);
    if (node == null || node.isNull()) {
      return null;
    }
    if (!node.isObject()) {
      throw mustBe(field, "an object", node);
    }
    return node;
  }

  static InvalidEventException required(String field) {
    return new InvalidEventException("field '" + field + "' is required");
  }

  /** {@code field} is not {@code what} it must be ("a string", "an object"...) but {@code node}. */
  static InvalidEventException mustBe(String field, String what, JsonNode node) {
    return new InvalidEventException(
        "field '" + field + "' must be " + what + ", got " + kind(node));
  }

  /** Describes a JSON value's kind for error messages: "string", "number", "array"... */
  public static String kind(JsonNode node) {
    return switch (node.getNodeType()) {
      case STRING -> "string";
      case NUMBER -> "number";
      case BOOLEAN -> "boolean";
      case ARRAY -> "array";
      case OBJECT -> "object";
      case NULL -> "null";
      default -> node.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
    };
  }
}
