package io.eventworker.handler.builtin;

import com.fasterxml.jackson.databind.JsonNode;
import io.eventworker.handler.Event;
import io.eventworker.handler.EventHandler;
import io.eventworker.handler.InvalidEventException;
import io.eventworker.handler.PayloadFields;
import io.eventworker.handler.RowInsert;
import io.eventworker.handler.Rows;

/**
 * {@code data_entry}: {@code {"key": string ≤255, "value": any JSON, "type": string ≤50,
 * "metadata": object}} becomes one {@code data_entries} row for the event's user.
 */
public final class DataEntryHandler implements EventHandler {

  public static final String TYPE = "data_entry";

  static final RowInsert DATA_ENTRIES =
      RowInsert.into("data_entries")
          .column("user_id", "int4")
          .column("key", "varchar")
          .column("value", "text")
          .column("type", "varchar")
          .column("metadata", "jsonb")
          .build();

  @Override
  public String eventType() {
    return TYPE;
  }

  @Override
  public void handle(Event event, Rows rows) throws InvalidEventException {
    JsonNode data = PayloadFields.object(event);
    String key = PayloadFields.requiredString(data, "key", 255);
    String type = PayloadFields.optionalString(data, "type", 50);
    JsonNode metadata = PayloadFields.optionalObject(data, "metadata");
    rows.insert(DATA_ENTRIES, event.userId(), key, valueText(data.get("value")), type, metadata);
  }

  /**
   * A string value is stored as is; any other JSON value as its JSON text; absent or null as NULL.
   */
  private static String valueText(JsonNode value) {
    if (value == null || value.isNull()) {
      return null;
    }
    return value.isTextual() ? value.textValue() : value.toString();
  }
}
