package io.eventworker.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.eventworker.testing.Cli;
import io.eventworker.testing.TestDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** {@code enqueue} with a due time ({@code --run-at}, {@code --delay}, "run_at") and a key. */
@Tag("database")
class ProducerOptionsTest {

  @RegisterExtension final TestDatabase db = TestDatabase.migrated();
  @TempDir Path dir;

  @Test
  void runAtAndDelayScheduleOneEvent() throws Exception {
    Cli.Result at =
        Cli.run(db.env(), "enqueue", "--type", "metric", "--data", "{}", "--run-at", "2030-01-02");
    assertEquals(0, at.status(), at.toString());
    assertTrue(at.out().matches("stored 1 event \\(id \\d+, due 2030-01-02 00:00:00\\+00\\)\\s*"));
    Cli.Result offset =
        Cli.run(
            db.env(),
            "enqueue",
            "--type",
            "metric",
            "--data",
            "{}",
            "--run-at",
            "2030-01-02T06:30+02:00");
    assertEquals(0, offset.status(), offset.toString());
    assertTrue(offset.out().contains("due 2030-01-02 04:30:00+00"), offset.out());
    Cli.Result delayed =
        Cli.run(db.env(), "enqueue", "--type", "metric", "--data", "{}", "--delay", "2h");
    assertEquals(0, delayed.status(), delayed.toString());
    assertEquals(
        1,
        db.queryLong(
            "SELECT count(*) FROM events WHERE run_at BETWEEN now() + interval '119 minutes'"
                + " AND now() + interval '121 minutes'"));
    assertEquals(
        2,
        db.queryLong(
            "SELECT count(*) FROM events WHERE run_at IN ('2030-01-02 00:00+00',"
                + " '2030-01-02 04:30+00')"));
  }

  @Test
  void badTimesAndKeysAreRefusedAndStoreNothing() throws Exception {
    for (List<String> args :
        List.of(
            List.of("--run-at", "tomorrow", "expected a date (2026-11-24), a time"),
            List.of("--run-at", "2030-13-01", "--run-at 2030-13-01: expected"),
            List.of("--delay", "5", "--delay 5: expected a duration with a unit"),
            List.of("--delay", "-5m", "--delay -5m: expected a duration"),
            List.of("--delay", "3651d", "up to 3650d"),
            List.of("--key", "", "--key must be a non-empty string"),
            List.of("--key", "k".repeat(256), "--key is longer than 255 characters"))) {
      Cli.Result r =
          Cli.run(
              db.env(), "enqueue", "--type", "metric", "--data", "{}", args.get(0), args.get(1));
      assertEquals(2, r.status(), args + " " + r);
      assertTrue(r.err().contains(args.get(2)), args + " " + r.err());
    }
    Cli.Result both =
        Cli.run(
            db.env(),
            "enqueue",
            "--type",
            "metric",
            "--data",
            "{}",
            "--delay",
            "5m",
            "--run-at",
            "2030-01-01");
    assertEquals(2, both.status(), both.toString());
    assertTrue(both.err().contains("--run-at and --delay exclude each other"), both.err());
    assertEquals(0, db.queryLong("SELECT count(*) FROM events"));
  }

  @Test
  void aKeyStoresTheEventOnceAndReportsTheDuplicate() throws Exception {
    String[] args = {"enqueue", "--type", "metric", "--data", "{\"n\":1}", "--key", "order-7"};
    Cli.Result first = Cli.run(db.env(), args);
    assertEquals(0, first.status(), first.toString());
    long id = db.queryLong("SELECT id FROM events WHERE idempotency_key = 'order-7'");
    Cli.Result again = Cli.run(db.env(), args);
    assertEquals(0, again.status(), again.toString());
    assertEquals(
        "skipped 1 event: an event of type \"metric\" with idempotency_key \"order-7\" is already"
            + " stored (id "
            + id
            + ")\n",
        again.out());
    // The same key on another type is another event.
    Cli.Result otherType =
        Cli.run(db.env(), "enqueue", "--type", "data_entry", "--data", "{}", "--key", "order-7");
    assertTrue(otherType.out().startsWith("stored 1 event"), otherType.toString());
    assertEquals(2, db.queryLong("SELECT count(*) FROM events"));
  }

  @Test
  void aFileSkipsDuplicateKeysByLineAndStoresTheRest() throws Exception {
    db.execute(
        "INSERT INTO events (event_type, data, idempotency_key) VALUES ('metric', '{}', 'old')");
    Path file =
        Files.writeString(
            dir.resolve("keys.ndjson"),
            String.join(
                    "\n",
                    "{\"event_type\":\"metric\",\"data\":{\"n\":1}}",
                    "{\"event_type\":\"metric\",\"data\":{\"n\":2},\"idempotency_key\":\"a\"}",
                    "{\"event_type\":\"metric\",\"data\":{\"n\":3},\"idempotency_key\":\"old\"}",
                    "",
                    "{\"event_type\":\"metric\",\"data\":{\"n\":5},\"idempotency_key\":\"a\"}",
                    "{\"event_type\":\"data_entry\",\"data\":{\"n\":6},\"idempotency_key\":\"a\"}",
                    "{\"event_type\":\"metric\",\"data\":{\"n\":7},\"run_at\":\"2030-05-01T10:00Z\"}",
                    "{\"event_type\":\"metric\",\"data\":{\"n\":8},\"idempotency_key\":null}")
                + "\n");
    Cli.Result r = Cli.run(db.env(), "enqueue", "--file", file.toString());
    assertEquals(0, r.status(), r.toString());
    List<String> out = r.out().lines().toList();
    assertTrue(out.get(0).startsWith("stored 5 events from " + file), r.out());
    assertTrue(out.get(0).endsWith("; skipped 2 duplicates"), r.out());
    assertEquals(
        List.of(
            "line 3: skipped, an event of type \"metric\" with idempotency_key \"old\" is already"
                + " stored",
            "line 5: skipped, idempotency_key \"a\" is on line 2 already"),
        out.subList(1, out.size()));
    // Stored in file order, with the first line of each key.
    assertEquals(
        "1,2,6,7,8",
        text("SELECT string_agg(data->>'n', ',' ORDER BY id) FROM events WHERE data ? 'n'"));
    assertEquals(
        1, db.queryLong("SELECT count(*) FROM events WHERE run_at = '2030-05-01 10:00+00'"));
    assertEquals(
        0,
        db.queryLong(
            "SELECT count(*) FROM events WHERE data ? 'n' AND run_at <> '2030-05-01 10:00+00'"
                + " AND run_at > now()"));
  }

  @Test
  void aBadRunAtOrKeyOnALineIsNamedAndNothingIsStored() throws Exception {
    for (List<String> c :
        List.of(
            List.of("\"run_at\":\"soon\"", "line 2: 'run_at' soon: expected a date"),
            List.of("\"run_at\":5", "line 2: 'run_at' must be a string or null"),
            List.of("\"idempotency_key\":7", "line 2: 'idempotency_key' must be a string or null"),
            List.of("\"idempotency_key\":\"\"", "line 2: 'idempotency_key' must be a non-empty"))) {
      Path file =
          Files.writeString(
              dir.resolve("bad.ndjson"),
              "{\"event_type\":\"metric\",\"data\":{},\"idempotency_key\":\"x\"}\n"
                  + "{\"event_type\":\"metric\",\"data\":{},"
                  + c.get(0)
                  + "}\n");
      Cli.Result r = Cli.run(db.env(), "enqueue", "--file", file.toString());
      assertEquals(2, r.status(), c + " " + r);
      assertTrue(r.err().contains(c.get(1)), c + " " + r.err());
    }
    // A server-side refusal after the switch to staging is still mapped to its line.
    Path file =
        Files.writeString(
            dir.resolve("user.ndjson"),
            "{\"event_type\":\"metric\",\"data\":{}}\n"
                + "{\"event_type\":\"metric\",\"data\":{},\"idempotency_key\":\"x\"}\n"
                + "{\"event_type\":\"metric\",\"data\":{},\"user_id\":42}\n");
    Cli.Result r = Cli.run(db.env(), "enqueue", "--file", file.toString());
    assertEquals(2, r.status(), r.toString());
    assertTrue(r.err().contains("line 3: user_id 42 is not in the users table"), r.err());
    assertEquals(0, db.queryLong("SELECT count(*) FROM events"));
  }

  private String text(String sql) throws Exception {
    try (var c = db.connect();
        var rs = c.createStatement().executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    }
  }
}
