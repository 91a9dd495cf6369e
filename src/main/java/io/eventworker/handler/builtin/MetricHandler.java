package io.eventworker.handler.builtin;

import com.fasterxml.jackson.databind.JsonNode;
import io.eventworker.handler.Event;
import io.eventworker.handler.EventHandler;
import io.eventworker.handler.InvalidEventException;
import io.eventworker.handler.PayloadFields;
import io.eventworker.handler.RowInsert;
import io.eventworker.handler.Rows;

/**
 * {@code metric}: {@code {"name": string ≤255, "value": number, "tags": object}} becomes one {@code
 * metrics} row.
 */
public final class MetricHandler implements EventHandler {

  public static final String TYPE = "metric";

  static final RowInsert METRICS =
      RowInsert.into("metrics")
          .column("metric_name", "varchar")
          .column("metric_value", "numeric")
          .column("tags", "jsonb")
          .build();

  @Override
  public String eventType() {
    return TYPE;
  }

  @Override
  public void handle(Event event, Rows rows) throws InvalidEventException {
    JsonNode data = PayloadFields.object(event);
    String name = PayloadFields.requiredString(data, "name", 255);
    java.math.BigDecimal value = PayloadFields.requiredNumber(data, "value");
    JsonNode tags = PayloadFields.optionalObject(data, "tags");
    rows.insert(METRICS, name, value, tags);
  }
}
