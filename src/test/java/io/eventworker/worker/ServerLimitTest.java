package io.eventworker.worker;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.eventworker.handler.Handlers;
import io.eventworker.handler.RowInsert;
import io.eventworker.metrics.WorkerMetrics;
import io.eventworker.testing.RunningWorker;
import io.eventworker.testing.TestDatabase;
import io.eventworker.testing.TestHandler;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A row over one of the server's own limits (SQLSTATE 54000, program_limit_exceeded) is the data's
 * fault as surely as a CHECK violation: a handler's table with a btree index on a text column
 * refuses a value whose index entry would pass about 2.7 kB. That event fails alone with the
 * server's reason; it must not hold its whole batch pending, rolled back and tried again forever.
 */
class ServerLimitTest {

  private static final RowInsert INDEXED = RowInsert.into("indexed").column("s", "text").build();

  @RegisterExtension final TestDatabase db = TestDatabase.migrated();

  @Test
  void aRowOverAnIndexLimitFailsItsEventAloneAndTheBatchCommits() throws Exception {
    db.execute("CREATE TABLE indexed (s text)", "CREATE INDEX indexed_s ON indexed (s)");
    // 6,000 hex digits of random bytes: no compression brings its index entry under the limit.
    byte[] noise = new byte[3_000];
    new Random(54_000).nextBytes(noise);
    String tooLong = HexFormat.of().formatHex(noise);
    StringBuilder values = new StringBuilder();
    for (int i = 1; i <= 40; i++) {
      values.append(i == 1 ? "" : ",").append("('indexed', '{\"s\":\"").append(i == 17 ? tooLong : "s-" + i).append("\"}')");
    }
    db.execute("INSERT INTO events (event_type, data) VALUES " + values);
    Handlers handlers = Handlers.of(List.of(TestHandler.of("indexed", (event, rows) ->
        rows.insert(INDEXED, event.data().get("s").textValue()))));

    try (RunningWorker worker = RunningWorker.start(
        db.config("WORKER_THREADS", "1", "BATCH_SIZE", "100"), handlers, WorkerMetrics.NONE)) {
      await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
          .until(() -> db.queryLong("SELECT count(*) FROM events WHERE status = 'pending'") == 0);
    }

    assertEquals(39, db.queryLong("SELECT count(*) FROM events WHERE status = 'processed' AND attempts = 1"));
    assertEquals(39, db.queryLong("SELECT count(*) FROM indexed"));
    assertEquals(0, db.queryLong("SELECT count(*) FROM indexed WHERE s NOT LIKE 's-%'"));
    assertEquals(1, db.queryLong("SELECT count(*) FROM events WHERE id = 17 AND status = 'failed' AND attempts = 1"
        + " AND last_error LIKE 'rejected by the database: index row size % exceeds btree % maximum %[54000]'"));
  }
}
