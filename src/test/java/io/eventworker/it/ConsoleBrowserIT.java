package io.eventworker.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.eventworker.testing.Chromium;
import io.eventworker.testing.Fixtures;
import io.eventworker.testing.TestDatabase;
import io.eventworker.testing.WorkerProcess;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The console of the real worker process, loaded by headless Chromium: the figures it shows are
 * those SQL counts in the database, and a screenshot is kept as {@code target/console.png}.
 */
@Tag("process")
class ConsoleBrowserIT {

  private static final Path SCREENSHOT = Path.of("target", "console.png");
  private static final byte[] PNG = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

  @RegisterExtension final TestDatabase db = TestDatabase.migrated();

  @Test
  void chromiumShowsTheFiguresSqlCounts() throws Exception {
    Chromium chromium = Chromium.require();
    Fixtures.insertMixed(db, 2_000, 20); // 1,900 to process, 100 the worker fails with its reasons
    db.execute(
        "INSERT INTO events (event_type, data, run_at) SELECT 'invoice', jsonb_build_object('n',"
            + " g), now() - make_interval(mins => g) FROM generate_series(1, 25) g",
        "INSERT INTO events (event_type, data, run_at) SELECT 'data_entry',"
            + " jsonb_build_object('key', 'later-' || g), now() + make_interval(mins => 30 + g)"
            + " FROM generate_series(1, 12) g",
        "INSERT INTO events (event_type, data, status, attempts, processed_at, last_error) SELECT"
            + " 'metric', '{}', 'failed', 5, LOCALTIMESTAMP, 'handler error: <timeout> #' || (g %"
            + " 3) FROM generate_series(1, 9) g");
    try (WorkerProcess worker =
        WorkerProcess.run(
            "console", db.env("HTTP_HOST", "127.0.0.1", "CONSOLE_SHOW_PAYLOADS", "true"))) {
      worker.awaitReady(Duration.ofSeconds(60));
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> count("status = 'processed'") == 1_900 && count("status = 'failed'") == 109);
      // The processed figure is PostgreSQL's count of live rows: exact once vacuum has counted.
      await()
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(200))
          .until(
              () -> {
                db.execute("VACUUM ANALYZE events");
                return db.queryLong(
                        "SELECT n_live_tup FROM pg_stat_user_tables WHERE relid ="
                            + " 'events'::regclass")
                    == db.queryLong("SELECT count(*) FROM events");
              });
      String url = "http://127.0.0.1:" + worker.httpPort() + "/";
      Document page = Jsoup.parse(chromium.dumpDom(url));

      assertEquals("5", page.selectFirst("meta[http-equiv=refresh]").attr("content"));
      assertEquals(0, page.select("script").size());
      assertEquals(number(count("status = 'pending' AND run_at <= now()")), tile(page, "due"));
      assertEquals(number(count("status = 'pending' AND run_at > now()")), tile(page, "scheduled"));
      assertEquals(number(count("status = 'failed'")), tile(page, "failed"));
      assertEquals("≈ " + number(count("status = 'processed'")), tile(page, "processed"));
      assertEquals("none", tile(page, "oldest-due"), "every due event of a handled type is done");
      assertEquals(
          rows(
              "SELECT event_type, count(*) FILTER (WHERE status = 'pending' AND run_at <= now()),"
                  + " count(*) FILTER (WHERE status = 'pending' AND run_at > now()),"
                  + " count(*) FILTER (WHERE status = 'failed') FROM events"
                  + " WHERE status <> 'processed' GROUP BY 1 ORDER BY 1"),
          cells(page, "types", 0, 1, 2, 3));
      List<String> invoice =
          cells(page, "types", 0, 1, 4, 5, 6).stream()
              .filter(r -> r.get(0).equals("invoice"))
              .findFirst()
              .orElseThrow();
      assertEquals(List.of("invoice", "25"), invoice.subList(0, 2));
      assertTrue(invoice.get(2).startsWith("25 m "), "due 25 minutes ago: " + invoice);
      assertEquals(List.of("none", "no: stays pending here"), invoice.subList(3, 5));
      assertEquals(
          rows(
              "SELECT count(*), left(last_error, 200) FROM events WHERE status = 'failed'"
                  + " GROUP BY 2 ORDER BY 1 DESC, 2 LIMIT 10"),
          cells(page, "errors", 0, 1));
      assertEquals(
          rows(
              "SELECT id, event_type, data::text FROM events WHERE status = 'pending'"
                  + " AND run_at > now() ORDER BY run_at, id LIMIT 10"),
          cells(page, "next-scheduled", 0, 1, 6));
      assertEquals(
          rows(
              "SELECT id, event_type, attempts, last_error FROM events WHERE status = 'failed'"
                  + " ORDER BY id DESC LIMIT 10"),
          cells(page, "latest-failed", 0, 1, 5, 6));
      // This replica processed and failed every one of them, all within the last minutes.
      List<List<String>> minutes = cells(page, "throughput", 1, 2);
      assertEquals(
          1_900, minutes.stream().mapToLong(r -> parse(r.get(0))).sum(), minutes.toString());
      assertEquals(100, minutes.stream().mapToLong(r -> parse(r.get(1))).sum(), minutes.toString());

      Files.deleteIfExists(SCREENSHOT);
      chromium.screenshot(url, SCREENSHOT, 1280, 1600);
      byte[] png = Files.readAllBytes(SCREENSHOT);
      assertArrayEquals(PNG, Arrays.copyOf(png, 8), "a PNG file");
      ByteBuffer header = ByteBuffer.wrap(png, 16, 8);
      assertEquals(1280, header.getInt(), "width");
      assertEquals(1600, header.getInt(), "height");
      assertTrue(png.length > 20_000, "a page drawn, not a blank one: " + png.length + " bytes");
    }
  }

  private long count(String where) throws Exception {
    return db.queryLong("SELECT count(*) FROM events WHERE " + where);
  }

  private static String number(long n) {
    return String.format(Locale.ROOT, "%,d", n);
  }

  private static long parse(String shown) {
    return Long.parseLong(shown.replace(",", ""));
  }

  private static String tile(Document page, String id) {
    return page.getElementById(id).selectFirst("b").text();
  }

  /** The given columns of a table's rows, as the page shows them. */
  private static List<List<String>> cells(Document page, String table, int... columns) {
    List<List<String>> rows = new ArrayList<>();
    for (Element tr : page.getElementById(table).select("tbody tr")) {
      List<String> row = new ArrayList<>();
      for (int c : columns) {
        row.add(tr.select("td").get(c).wholeText());
      }
      rows.add(row);
    }
    return rows;
  }

  /** A query's rows as text, counts written as the console writes them. */
  private List<List<String>> rows(String sql) throws Exception {
    return db.textRows(
        sql,
        (column, v) -> v instanceof Long l && !column.equals("id") ? number(l) : String.valueOf(v));
  }
}
