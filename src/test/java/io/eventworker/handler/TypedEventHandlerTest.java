package io.eventworker.handler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import io.eventworker.queue.ClaimedEvent;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** A handler bound to a record gets its payload filled in, or the messages PayloadFields gives. */
@Tag("unit")
class TypedEventHandlerTest {

  record Where(String country, Optional<String> city) {}

  record Order(
      @PayloadFields.MaxLength(10) String sku,
      int quantity,
      BigDecimal price,
      boolean gift,
      Optional<JsonNode> notes,
      List<String> tags,
      Where shipTo) {
    Order {
      if (quantity <= 0) {
        throw new IllegalArgumentException("quantity must be positive, got " + quantity);
      }
    }
  }

  /** Records each order it receives and one row per order. */
  static final class OrderHandler implements TypedEventHandler<Order> {
    final List<Order> orders = new ArrayList<>();

    @Override
    public String eventType() {
      return "order";
    }

    @Override
    public Class<Order> payloadType() {
      return Order.class;
    }

    @Override
    public void handle(Event event, Order order, Rows rows) {
      orders.add(order);
    }
  }

  private static final String GOOD =
      "{\"sku\":\"A-1\",\"quantity\":2,\"price\":1.10,\"gift\":false,\"tags\":[\"x\",\"y\"],"
          + "\"shipTo\":{\"country\":\"FR\"},\"unknown\":1}";

  @Test
  void aGoodPayloadIsBoundWithExactNumbersAndOptionalFields() throws Exception {
    OrderHandler handler = new OrderHandler();
    handler.handle(event(GOOD), (target, values) -> {});
    Order order = handler.orders.get(0);
    assertEquals("A-1", order.sku());
    assertEquals(2, order.quantity());
    assertEquals(new BigDecimal("1.10"), order.price());
    assertEquals(Optional.empty(), order.notes());
    assertEquals(List.of("x", "y"), order.tags());
    assertEquals(new Where("FR", Optional.empty()), order.shipTo());
  }

  @Test
  void aPresentOptionalFieldIsBound() throws Exception {
    OrderHandler handler = new OrderHandler();
    handler.handle(
        event(
            GOOD.replace("\"gift\":false", "\"gift\":true,\"notes\":{\"a\":1}")
                .replace("{\"country\":\"FR\"}", "{\"country\":\"FR\",\"city\":\"Lyon\"}")),
        (target, values) -> {});
    Order order = handler.orders.get(0);
    assertEquals("{\"a\":1}", order.notes().orElseThrow().toString());
    assertEquals(Optional.of("Lyon"), order.shipTo().city());
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "\"sku\":\"A-1\",                | \"price\":1.10,                  | field 'sku' is"
            + " required",
        "\"sku\":\"A-1\",                | \"sku\":null,                    | field 'sku' is"
            + " required",
        "\"sku\":\"A-1\",                | \"sku\":7,                       | field 'sku' must be a"
            + " string, got number",
        "\"sku\":\"A-1\",                | \"sku\":\"ABCDEFGHIJK\",         | field 'sku' is 11"
            + " characters long, at most 10 allowed",
        "\"quantity\":2,                 | \"quantity\":\"2\",              | field 'quantity' must"
            + " be a number, got string",
        "\"quantity\":2,                 | \"quantity\":2.5,                | field 'quantity' must"
            + " be a whole number that fits in int, got 2.5",
        "\"quantity\":2,                 | \"quantity\":1e10,               | field 'quantity' must"
            + " be a whole number that fits in int, got 1E+10",
        "\"quantity\":2,                 | \"quantity\":0,                  | quantity must be"
            + " positive, got 0",
        "\"gift\":false,                 | \"gift\":\"no\",                 | field 'gift' must be"
            + " a boolean, got string",
        "\"tags\":[\"x\",\"y\"],         | \"tags\":\"x\",                  | field 'tags' must be"
            + " an array, got string",
        "\"shipTo\":{\"country\":\"FR\"} | \"shipTo\":[]                    | field 'shipTo' must"
            + " be an object, got array",
        "\"shipTo\":{\"country\":\"FR\"} | \"shipTo\":{}                    | field"
            + " 'shipTo.country' is required",
        "\"shipTo\":{\"country\":\"FR\"} | \"shipTo\":{\"country\":true}    | field"
            + " 'shipTo.country' must be a string, got boolean",
      })
  void aBadPayloadFailsWithTheMessagesOfPayloadFields(String good, String bad, String message) {
    String json = GOOD.replace(good.strip(), bad.strip());
    InvalidEventException e =
        assertThrows(
            InvalidEventException.class,
            () -> new OrderHandler().handle(event(json), (target, values) -> {}));
    assertEquals(message, e.getMessage(), json);
  }

  @Test
  void aPayloadThatIsNotAnObjectFailsAsPayloadFieldsSays() {
    InvalidEventException e =
        assertThrows(
            InvalidEventException.class,
            () -> new OrderHandler().handle(event("[1]"), (target, values) -> {}));
    assertEquals("payload must be a JSON object, got array", e.getMessage());
  }

  @Test
  void theMessagesAreThoseOfTheFieldChecks() throws Exception {
    JsonNode data = event("{\"sku\":7}").data();
    InvalidEventException byHand =
        assertThrows(
            InvalidEventException.class, () -> PayloadFields.requiredString(data, "sku", 10));
    InvalidEventException bound =
        assertThrows(
            InvalidEventException.class,
            () ->
                new OrderHandler()
                    .handle(event(GOOD.replace("\"sku\":\"A-1\"", "\"sku\":7")), (t, v) -> {}));
    assertEquals(byHand.getMessage(), bound.getMessage());
  }

  private static Event event(String json) {
    return new ClaimedEvent(
        1, "order", null, json.getBytes(StandardCharsets.UTF_8), Instant.now(), 0);
  }
}
