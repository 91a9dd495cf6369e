package io.eventworker.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.eventworker.json.Json;
import io.eventworker.testing.TestDatabase;
import io.eventworker.testing.WorkerProcess;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * LOG_FORMAT=json: every line the daemon writes is one JSON object an operator's shipper can read.
 */
@Tag("process")
class JsonLogIT {

  @RegisterExtension final TestDatabase db = TestDatabase.migrated();

  @Test
  void everyLineIsJsonAndAPoisonEventsLineNamesItsIdAndType() throws Exception {
    db.execute("INSERT INTO events (event_type, data) VALUES ('metric', '{\"name\":\"cpu\"}')");
    long id = db.queryLong("SELECT id FROM events");
    List<JsonNode> lines = new ArrayList<>();
    try (WorkerProcess worker = WorkerProcess.run("json-log", db.env("LOG_FORMAT", "json"))) {
      worker.awaitReady(Duration.ofSeconds(30));
      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      while (db.queryLong("SELECT count(*) FROM events WHERE status = 'failed'") == 0) {
        assertTrue(System.nanoTime() < deadline, worker.output());
        Thread.sleep(50);
      }
      worker.terminate();
      assertEquals(0, worker.awaitExit(Duration.ofSeconds(15)), worker.output());
      for (String line : worker.output().lines().toList()) {
        JsonNode node = Json.MAPPER.readTree(line);
        assertTrue(
            node.isObject() && node.hasNonNull("formattedMessage") && node.hasNonNull("level"),
            line);
        lines.add(node);
      }
    }
    assertTrue(
        lines.stream().anyMatch(l -> l.path("formattedMessage").asText().startsWith("starting: ")),
        lines.toString());
    JsonNode failure =
        lines.stream()
            .filter(l -> l.path("formattedMessage").asText().contains("failed: invalid payload"))
            .findFirst()
            .orElseThrow(() -> new AssertionError("no failure line: " + lines));
    assertEquals(Long.toString(id), failure.at("/mdc/event_id").asText(), failure.toString());
    assertEquals("metric", failure.at("/mdc/event_type").asText(), failure.toString());
  }

  @Test
  void aBadLogFormatIsRefusedByName() throws Exception {
    WorkerProcess p = WorkerProcess.run("bad-log-format", Map.of("LOG_FORMAT", "xml"));
    assertEquals(2, p.awaitExit(Duration.ofSeconds(30)));
    assertTrue(
        p.output().contains("configuration error: LOG_FORMAT=xml: expected plain or json"),
        p.output());
  }
}
