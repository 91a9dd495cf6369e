package example;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.eventworker.handler.Event;
import io.eventworker.handler.EventHandler;
import io.eventworker.handler.InvalidEventException;
import io.eventworker.handler.PayloadFields;
import io.eventworker.handler.RowInsert;
import io.eventworker.handler.Rows;
import java.math.BigDecimal;

/**
 * An extension handler, built outside the worker's jar: {@code page_view} {@code {"path": string}}
 * becomes one {@code metrics} row named page_view, tagged with its path.
 */
public final class PageViewHandler implements EventHandler {

  static final RowInsert METRICS =
      RowInsert.into("metrics")
          .column("metric_name", "varchar")
          .column("metric_value", "numeric")
          .column("tags", "jsonb")
          .build();

  @Override
  public String eventType() {
    return "page_view";
  }

  @Override
  public void handle(Event event, Rows rows) throws InvalidEventException {
    JsonNode data = PayloadFields.object(event);
    String path = PayloadFields.requiredString(data, "path", 200);
    rows.insert(
        METRICS,
        "page_view",
        BigDecimal.ONE,
        JsonNodeFactory.instance.objectNode().put("path", path));
  }
}
