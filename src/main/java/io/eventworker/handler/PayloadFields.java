package io.eventworker.handler;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;

/**
 * Checks on payload fields that throw {@link InvalidEventException} with a message naming the
 * field and the problem. Lengths count characters, as PostgreSQL's {@code varchar(n)} does.
 */
public final class PayloadFields {

  private PayloadFields() {}

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
      throw new InvalidEventException("field '" + field + "' is required");
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
    if (!node.isTextual()) {
      throw new InvalidEventException(
          "field '" + field + "' must be a string, got " + kind(node));
    }
    String value = node.textValue();
    int length = value.codePointCount(0, value.length());
    if (length > maxLength) {
      throw new InvalidEventException(
          "field '" + field + "' is " + length + " characters long, at most " + maxLength
              + " allowed");
    }
    return value;
  }

  public static BigDecimal requiredNumber(JsonNode data, String field)
      throws InvalidEventException {
    JsonNode node = data.get(field);
    if (node == null || node.isNull()) {
      throw new InvalidEventException("field '" + field + "' is required");
    }
    if (!node.isNumber()) {
      throw new InvalidEventException(
          "field '" + field + "' must be a number, got " + kind(node));
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
      throw new InvalidEventException(
          "field '" + field + "' must be an object, got " + kind(node));
    }
    return node;
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
