package io.eventworker.worker;

import io.eventworker.handler.EventHandler;
import io.eventworker.handler.InvalidEventException;
import io.eventworker.handler.builtin.DataEntryHandler;
import io.eventworker.handler.builtin.MetricHandler;
import io.eventworker.queue.ClaimedEvent;
import io.eventworker.queue.EventRepository;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The handlers' hot path run on synthetic events in memory: payloads parsed and validated, rows
 * rendered and grouped as a batch's write sends them. It needs no database, so the image build's
 * training run uses it to load the classes its class-data-sharing archive keeps, and a worker can
 * run it before it reports ready so that the JIT compiler has begun on that path.
 */
public final class WarmUp {

  private final Handlers handlers;

  public WarmUp(Handlers handlers) {
    this.handlers = handlers;
  }

  /**
   * Runs {@code batches} batches of {@code batchSize} synthetic events of the built-in types this
   * worker handles; returns how many rows they made.
   */
  public long run(int batches, int batchSize) {
    List<String> types = new ArrayList<>();
    for (String type : handlers.types()) {
      if (type.equals(DataEntryHandler.TYPE) || type.equals(MetricHandler.TYPE)) {
        types.add(type);
      }
    }
    if (types.isEmpty()) {
      return 0;
    }
    long rows = 0;
    for (int b = 0; b < batches; b++) {
      BatchRows batch = new BatchRows(new EventRepository());
      for (int i = 0; i < batchSize; i++) {
        long id = (long) b * batchSize + i;
        String type = types.get((int) (id % types.size()));
        ClaimedEvent event = event(id, type);
        EventHandler handler = handlers.forType(type);
        batch.begin();
        try {
          handler.handle(event, batch);
          batch.keep(event);
        } catch (InvalidEventException e) {
          batch.discard();
        } finally {
          event.dropPayload();
        }
      }
      rows += batch.batches(batch.events()).size();
    }
    return rows;
  }

  /** A payload of the kinds producers send, varied so that no branch looks never taken. */
  private static ClaimedEvent event(long id, String type) {
    String json =
        type.equals(DataEntryHandler.TYPE)
            ? switch ((int) (id % 3)) {
              case 0 ->
                  "{\"key\":\"setting-"
                      + id
                      + "\",\"value\":{\"enabled\":true},"
                      + "\"type\":\"preference\",\"metadata\":{\"source\":\"warm-up\"}}";
              case 1 -> "{\"key\":\"k-" + id + "\",\"value\":\"dark\",\"type\":\"t\"}";
              default -> "{\"key\":\"n-" + id + "\",\"value\":" + id + "}";
            }
            : "{\"name\":\"request_ms\",\"value\":"
                + (id % 1000) * 0.25
                + ",\"tags\":{\"route\":\"/api/"
                + id % 20
                + "\"}}";
    return new ClaimedEvent(
        id, type, (int) (1 + id % 100), json.getBytes(StandardCharsets.UTF_8), Instant.EPOCH, 0);
  }
}
