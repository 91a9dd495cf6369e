package io.eventworker.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.eventworker.handler.builtin.DataEntryHandler;
import io.eventworker.handler.builtin.MetricHandler;
import io.eventworker.testing.TestHandler;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The in-memory warm-up runs the real handlers on payloads they accept, and touches nothing else.
 */
@Tag("unit")
class WarmUpTest {

  @Test
  void everySyntheticEventIsAcceptedByTheBuiltInHandlers() {
    // Each batch writes one group of rows per table: data_entries and metrics.
    assertEquals(2 * 3, new WarmUp(Handlers.discover()).run(3, 10));
    AtomicInteger accepted = new AtomicInteger();
    Handlers counting =
        Handlers.of(
            List.of(
                TestHandler.of(
                    DataEntryHandler.TYPE,
                    (event, rows) -> {
                      new DataEntryHandler().handle(event, rows);
                      accepted.incrementAndGet();
                    }),
                TestHandler.of(
                    MetricHandler.TYPE,
                    (event, rows) -> {
                      new MetricHandler().handle(event, rows);
                      accepted.incrementAndGet();
                    })));
    new WarmUp(counting).run(4, 25);
    assertEquals(100, accepted.get(), "no synthetic payload is refused as invalid");
  }

  @Test
  void handlersOfOtherTypesAreNotRunOnSyntheticEvents() {
    AtomicInteger ran = new AtomicInteger();
    Handlers other =
        Handlers.of(List.of(TestHandler.of("signup", (e, r) -> ran.incrementAndGet())));
    assertEquals(0, new WarmUp(other).run(5, 10));
    assertEquals(0, ran.get());
  }
}
