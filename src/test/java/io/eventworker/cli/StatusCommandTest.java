package io.eventworker.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.eventworker.json.Json;
import io.eventworker.testing.Cli;
import io.eventworker.testing.TestDatabase;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

@Tag("database")
class StatusCommandTest {

  @RegisterExtension final TestDatabase db = TestDatabase.migrated();

  @Test
  void countsByTypeAndStatusWithTheOldestDueAge() throws Exception {
    db.execute(
        "INSERT INTO events (event_type, data, status, created_at) VALUES ('metric', '{}',"
            + " 'processed', now()), ('metric', '{}', 'processed', now()), ('metric', '{}',"
            + " 'failed', now())",
        "INSERT INTO events (event_type, data, run_at) VALUES ('data_entry', '{}', now() -"
            + " interval '90 seconds'), ('invoice', '{}', now() - interval '300 seconds'),"
            + " ('data_entry', '{}', now() + interval '1 hour'), ('metric', '{}', now() +"
            + " interval '10 minutes')");

    Cli.Result text = Cli.run(db.env(), "status");
    assertEquals(0, text.status(), text.toString());
    assertTrue(
        text.out().contains("event type          due    scheduled    processed       failed"),
        text.out());
    assertTrue(text.out().matches("(?s).*data_entry\\s+1\\s+1\\s+0\\s+0\\n.*"), text.out());
    assertTrue(
        text.out()
            .matches("(?s).*invoice\\s+1\\s+0\\s+0\\s+0\\s+\\(no handler: stays pending\\).*"),
        text.out());
    assertTrue(text.out().matches("(?s).*metric\\s+0\\s+1\\s+2\\s+1\\n.*"), text.out());
    assertTrue(text.out().matches("(?s).*total\\s+2\\s+2\\s+2\\s+1\\n.*"), text.out());
    // The unhandled invoice, older, and the scheduled events do not count as the oldest due.
    assertTrue(
        text.out().matches("(?s).*oldest due event: waiting 9\\d\\.\\d s since due\\n.*"),
        text.out());
    assertTrue(
        text.out()
            .matches(
                "(?s).*oldest due event of a type without a handler here: waiting 30\\d\\.\\d s"
                    + " since due\\n.*"),
        text.out());
    assertTrue(
        text.out().matches("(?s).*next scheduled event: due in (59\\d\\.\\d|600\\.0) s\\n.*"),
        text.out());

    db.execute(
        "UPDATE events SET last_error = 'invalid payload: field ''name'' is required' WHERE status"
            + " = 'failed'");
    db.execute(
        "INSERT INTO events (event_type, data, status, last_error) VALUES ('metric', '{}',"
            + " 'failed', 'timeout'), ('metric', '{}', 'failed', 'invalid payload: field ''name''"
            + " is required')");
    assertTrue(
        Cli.run(db.env(), "status")
            .out()
            .contains(
                "most frequent errors of failed events:\n"
                    + "         2  invalid payload: field 'name' is required\n"
                    + "         1  timeout\n"));

    Cli.Result json = Cli.run(db.env(), "status", "--json");
    assertEquals(0, json.status(), json.toString());
    JsonNode root = Json.MAPPER.readTree(json.out());
    assertEquals(
        "invalid payload: field 'name' is required", root.at("/top_errors/0/error").asText());
    assertEquals(2, root.at("/top_errors/0/count").asInt());
    assertEquals(2, root.at("/by_type/metric/processed").asInt());
    assertEquals(3, root.at("/by_type/metric/failed").asInt());
    assertEquals(false, root.at("/by_type/invoice/handled").asBoolean());
    assertEquals(4, root.at("/totals/pending").asInt());
    assertEquals(2, root.at("/totals/scheduled").asInt());
    assertEquals(1, root.at("/by_type/data_entry/scheduled").asInt());
    double oldest = root.at("/oldest_pending_age_seconds").asDouble();
    assertTrue(oldest >= 90 && oldest < 200, json.out());
    assertTrue(root.at("/oldest_unhandled_age_seconds").asDouble() >= 300, json.out());
    double next = root.at("/next_scheduled_in_seconds").asDouble();
    assertTrue(next > 500 && next <= 600, json.out());
  }

  @Test
  void anEmptyQueue() {
    Cli.Result json = Cli.run(db.env(), "status", "--json");
    assertEquals(0, json.status(), json.toString());
    assertTrue(json.out().contains("\"oldest_pending_age_seconds\" : null"), json.out());
    assertTrue(json.out().contains("\"next_scheduled_in_seconds\" : null"), json.out());
    assertTrue(Cli.run(db.env(), "status").out().contains("oldest due event: none due\n"));
  }

  @Test
  void everyCommandHasHelp() {
    for (String command : new String[] {"run", "migrate", "enqueue", "status", "retry", "prune"}) {
      Cli.Result help = Cli.run(db.env(), command, "--help");
      assertEquals(0, help.status(), command);
      assertTrue(help.out().startsWith("Usage: event-worker " + command), help.out());
    }
    Cli.Result none = Cli.run(db.env());
    assertEquals(2, none.status());
    assertTrue(none.err().contains("a command is required"), none.err());
  }

  @Test
  void showsWhetherTheServerRunsAutovacuum() throws Exception {
    boolean on =
        db.queryLong("SELECT (setting = 'on')::int FROM pg_settings WHERE name = 'autovacuum'")
            == 1;
    Cli.Result text = Cli.run(db.env(), "status");
    assertEquals(0, text.status(), text.toString());
    assertTrue(
        text.out()
            .contains(on ? "autovacuum: on\n" : "warning: autovacuum is off on this server: "),
        text.out());
    JsonNode json = Json.MAPPER.readTree(Cli.run(db.env(), "status", "--json").out());
    assertEquals(on, json.get("autovacuum").asBoolean(), json.toString());
  }

  @Test
  void aBadSettingStopsAnyCommandWithItsNameAndValue() {
    Cli.Result result = Cli.run(db.env("BATCH_SIZE", "lots"), "status");
    assertEquals(2, result.status());
    assertEquals(
        "event-worker: configuration error: BATCH_SIZE=lots: expected a whole number from 1 to"
            + " 10000\n",
        result.err());
  }
}
