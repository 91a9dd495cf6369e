package io.eventworker.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.eventworker.testing.Cli;
import io.eventworker.testing.Fixtures;
import io.eventworker.testing.TestDatabase;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

@Tag("database")
class EnqueueCommandTest {

  @RegisterExtension final TestDatabase db = TestDatabase.migrated();
  @TempDir Path dir;

  @Test
  void enqueuesOneEvent() throws Exception {
    db.execute("INSERT INTO users (name, email) VALUES ('Ada', 'ada@example.com')");
    Cli.Result result =
        Cli.run(
            db.env(),
            "enqueue",
            "--type",
            "metric",
            "--user",
            "1",
            "--data",
            "{\"name\":\"cpu\",\"value\":0.10}");
    assertEquals(0, result.status(), result.toString());
    assertTrue(result.out().matches("stored 1 event \\(id \\d+\\)\\s*"), result.out());
    assertEquals(
        1,
        db.queryLong(
            "SELECT count(*) FROM events WHERE event_type = 'metric' AND user_id = 1 AND status ="
                + " 'pending' AND data = '{\"name\":\"cpu\",\"value\":0.10}' AND data->>'value' ="
                + " '0.10'"));
  }

  @Test
  void refusesABadSingleEventAndStoresNothing() throws Exception {
    Cli.Result notJson = Cli.run(db.env(), "enqueue", "--type", "metric", "--data", "{name: cpu}");
    assertEquals(2, notJson.status());
    assertTrue(notJson.err().contains("--data is not valid JSON"), notJson.err());
    Cli.Result notObject = Cli.run(db.env(), "enqueue", "--type", "metric", "--data", "[1]");
    assertEquals(2, notObject.status());
    assertTrue(notObject.err().contains("'data' must be a JSON object"), notObject.err());
    Cli.Result noUser =
        Cli.run(db.env(), "enqueue", "--type", "metric", "--user", "42", "--data", "{}");
    assertEquals(2, noUser.status(), noUser.toString());
    assertEquals("event-worker: --user 42: user_id 42 is not in the users table\n", noUser.err());
    Cli.Result both =
        Cli.run(db.env(), "enqueue", "--type", "metric", "--data", "{}", "--file", "x.ndjson");
    assertEquals(2, both.status());
    Cli.Result neither = Cli.run(db.env(), "enqueue");
    assertEquals(2, neither.status());
    assertTrue(neither.err().contains("Missing required argument"), neither.err());
    assertEquals(0, db.queryLong("SELECT count(*) FROM events"));
  }

  @Test
  void loadsAWholeFile() throws Exception {
    Path file = dir.resolve("events.ndjson");
    Fixtures.writeMixed(file, 5_000, 0);
    Files.writeString(
        file,
        "\n"
            + "{\"event_type\":\"data_entry\",\"data\":{\"key\":\"ü ✓ \\\\ \\t"
            + " tab\",\"value\":1.50}}\n\n",
        java.nio.file.StandardOpenOption.APPEND);
    Cli.Result result = Cli.run(db.env(), "enqueue", "--file", file.toString());
    assertEquals(0, result.status(), result.toString());
    assertTrue(result.out().startsWith("stored 5001 events from " + file), result.out());
    assertEquals(5001, db.queryLong("SELECT count(*) FROM events WHERE status = 'pending'"));
    assertEquals(
        1,
        db.queryLong(
            "SELECT count(*) FROM events WHERE data->>'key' = E'ü ✓ \\\\ \\t tab' AND"
                + " data->>'value' = '1.50'"));
  }

  @Test
  void aBadLineIsNamedAndNothingFromTheFileIsStored() throws Exception {
    assertRefused(
        "{\"event_type\":\"metric\",\"data\":{}}\n{\"event_type\":\"metric\",\"data\":{}\n",
        2,
        "line 2: not valid JSON");
    assertRefused(
        "{\"event_type\":\"metric\",\"data\":{}}\n\n"
            + "{\"event_type\":\"metric\",\"data\":{},\"userid\":3}\n",
        2,
        "line 3: unknown field 'userid'");
    assertRefused(
        "{\"event_type\":\"metric\",\"data\":{}}\n"
            + "{\"event_type\":\"metric\",\"user_id\":\"7\",\"data\":{}}\n",
        2,
        "line 2: 'user_id' must be an integer or null");
    // Rejected by the server (no such user): a bad line too, mapped back to the file's line.
    assertRefused(
        "{\"event_type\":\"metric\",\"data\":{}}\n\n\n"
            + "{\"event_type\":\"metric\",\"user_id\":99,\"data\":{}}\n",
        2,
        "line 4: user_id 99 is not in the users table");
    assertEquals(0, db.queryLong("SELECT count(*) FROM events"));
  }

  @Test
  void malformedUtf8IsReportedOnItsLine() throws Exception {
    Path file = dir.resolve("latin1.ndjson");
    StringBuilder good = new StringBuilder();
    for (int i = 0; i < 1000; i++) {
      good.append("{\"event_type\":\"metric\",\"data\":{\"name\":\"n\",\"value\":1}}\n");
    }
    byte[] head = good.toString().getBytes(StandardCharsets.UTF_8);
    byte[] bad =
        "{\"event_type\":\"metric\",\"data\":{\"name\":\"caf\u00e9\"}}\n"
            .getBytes(StandardCharsets.ISO_8859_1);
    byte[] all = new byte[head.length + bad.length];
    System.arraycopy(head, 0, all, 0, head.length);
    System.arraycopy(bad, 0, all, head.length, bad.length);
    Files.write(file, all);
    Cli.Result result = Cli.run(db.env(), "enqueue", "--file", file.toString());
    assertEquals(2, result.status(), result.toString());
    assertTrue(result.err().contains("line 1001: not valid UTF-8"), result.err());
    assertEquals(0, db.queryLong("SELECT count(*) FROM events"));
  }

  @Test
  void aMissingFileIsAClearError() {
    Cli.Result result =
        Cli.run(db.env(), "enqueue", "--file", dir.resolve("nope.ndjson").toString());
    assertEquals(2, result.status());
    assertTrue(result.err().contains("no such file"), result.err());
  }

  @Test
  void aDirectoryIsABadFileNotAnIoError() {
    Cli.Result result = Cli.run(db.env(), "enqueue", "--file", dir.toString());
    assertEquals(2, result.status(), result.toString());
    assertEquals("event-worker: " + dir + " is a directory, not an NDJSON file\n", result.err());
  }

  @Test
  void theHelpTextsExampleWorksOnAFreshlyMigratedDatabase() throws Exception {
    String help = Cli.run(db.env(), "enqueue", "--help").out();
    String example =
        help.lines()
            .map(String::trim)
            .filter(l -> l.startsWith("{\"event_type\""))
            .findFirst()
            .orElseThrow();
    Path file = Files.writeString(dir.resolve("example.ndjson"), example + "\n");
    Cli.Result result = Cli.run(db.env(), "enqueue", "--file", file.toString());
    assertEquals(0, result.status(), result.toString());
    assertTrue(result.out().startsWith("stored 1 event from " + file + " in "), result.out());
  }

  private void assertRefused(String content, int status, String message) throws Exception {
    Path file = Files.writeString(dir.resolve("bad.ndjson"), content);
    Cli.Result result = Cli.run(db.env(), "enqueue", "--file", file.toString());
    assertEquals(status, result.status(), result.toString());
    assertTrue(result.err().contains(message), result.err());
    assertEquals("", result.out());
  }
}
