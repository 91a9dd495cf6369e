package io.eventworker.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.zaxxer.hikari.HikariDataSource;
import io.eventworker.db.ConnectionPool;
import io.eventworker.metrics.HttpEndpoint.Reply;
import io.eventworker.metrics.ThroughputHistory;
import io.eventworker.testing.HostileCorpus;
import io.eventworker.testing.HostileCorpus.HostileEvent;
import io.eventworker.testing.TestDatabase;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The hostile corpus stored as payloads, event types and error texts, shown with
 * CONSOLE_SHOW_PAYLOADS=true: the page keeps its own elements and attributes only, and shows each
 * text as it is stored.
 */
@Tag("database")
class ConsoleHostileTest {

  private static final Set<String> PAGE_TAGS =
      Set.of(
          "html", "head", "meta", "title", "style", "body", "h1", "h2", "p", "div", "b", "span",
          "table", "thead", "tbody", "tr", "th", "td", "footer");

  @RegisterExtension final TestDatabase db = TestDatabase.migrated();

  private final AtomicLong nanos = new AtomicLong();

  /** One event stored twice: failed with an error text, and pending, scheduled for later. */
  private record Stored(String type, String data, String error) {}

  @Test
  void noPayloadOrErrorTextInjectsMarkupOrScript() throws Exception {
    List<Stored> stored = new ArrayList<>();
    List<HostileEvent> corpus = HostileCorpus.generate(1_000);
    List<String> markups = HtmlTextTest.MARKUP.stream().filter(m -> !hasLoneSurrogate(m)).toList();
    for (int i = 0; i < corpus.size(); i++) {
      String markup = markups.get(i % markups.size());
      stored.add(
          new Stored(
              corpus.get(i).eventType(),
              corpus.get(i).data(),
              markup + " | " + corpus.get(i).data()));
    }
    for (String markup : markups) {
      stored.add(
          new Stored(markup.substring(0, Math.min(100, markup.length())), json(markup), markup));
    }
    int pages = 0;
    try (HikariDataSource pool =
        ConnectionPool.create(db.config(), null, ConnectionPool.Use.DAEMON)) {
      for (int from = 0; from < stored.size(); from += ConsoleView.LISTED) {
        List<Stored> chunk =
            stored.subList(from, Math.min(stored.size(), from + ConsoleView.LISTED));
        db.execute("TRUNCATE events");
        insert(chunk);
        Console console =
            new Console(
                new ConsoleReadings(pool, true, nanos::get),
                new ThroughputHistory(new SimpleMeterRegistry(), System::currentTimeMillis),
                Set.of("data_entry", "metric"),
                "replica");
        Reply reply = console.get();
        assertEquals(200, reply.status(), reply.body());
        checkPage(Jsoup.parse(reply.body()), chunk);
        pages++;
      }
    }
    assertEquals((stored.size() + 9) / 10, pages);
    assertTrue(stored.size() > 1_000, "the corpus and the markup list: " + stored.size());
  }

  private void checkPage(Document page, List<Stored> chunk) throws Exception {
    String context = chunk.get(0).error();
    assertEquals(0, page.select("script").size(), context);
    for (Element e : page.getAllElements().subList(1, page.getAllElements().size())) {
      assertTrue(PAGE_TAGS.contains(e.tagName()), e.tagName() + " with " + context);
      e.attributes().forEach(a -> ConsolePageTest.assertAllowed(a.getKey(), a.getValue(), context));
      if (e.tagName().equals("td")) {
        assertTrue(
            e.childrenSize() == 0 || (e.childrenSize() == 1 && e.child(0).hasClass("bar")),
            "a cell holds text only: " + e.outerHtml());
      }
    }
    Map<String, List<String>> failed = byId(ConsolePageTest.rows(page, "latest-failed"));
    Map<String, List<String>> scheduled = byId(ConsolePageTest.rows(page, "next-scheduled"));
    assertEquals(chunk.size(), failed.size(), context);
    assertEquals(chunk.size(), scheduled.size(), context);
    try (Connection c = db.connect();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT id, status, event_type, left(last_error, 300), left(data::text, 300)"
                    + " FROM events");
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        boolean isFailed = rs.getString(2).equals("failed");
        List<String> row = (isFailed ? failed : scheduled).get(Long.toString(rs.getLong(1)));
        assertEquals(HtmlText.shown(rs.getString(3)), row.get(1), "type");
        if (isFailed) {
          assertEquals(HtmlText.shown(rs.getString(4)), row.get(6), "error");
          assertEquals(HtmlText.shown(rs.getString(5)), row.get(7), "payload");
        } else {
          assertEquals(HtmlText.shown(rs.getString(5)), row.get(6), "payload");
        }
      }
    }
    List<String> errors = ConsolePageTest.rows(page, "errors").stream().map(r -> r.get(1)).toList();
    for (Stored s : chunk) {
      String error =
          s.error()
              .substring(
                  0,
                  s.error()
                      .offsetByCodePoints(
                          0, Math.min(200, s.error().codePointCount(0, s.error().length()))));
      assertTrue(errors.contains(HtmlText.shown(error)), "top errors show: " + error);
    }
    List<String> types = ConsolePageTest.rows(page, "types").stream().map(r -> r.get(0)).toList();
    for (Stored s : chunk) {
      assertTrue(types.contains(HtmlText.shown(s.type())), "types show: " + s.type());
    }
  }

  private void insert(List<Stored> chunk) throws Exception {
    try (Connection c = db.connect();
        PreparedStatement failed =
            c.prepareStatement(
                "INSERT INTO events (event_type, data, status, attempts, processed_at, last_error)"
                    + " VALUES (?, ?::jsonb, 'failed', 5, LOCALTIMESTAMP, ?)");
        PreparedStatement scheduled =
            c.prepareStatement(
                "INSERT INTO events (event_type, data, run_at) VALUES (?, ?::jsonb, now() +"
                    + " interval '1 hour')")) {
      for (Stored s : chunk) {
        failed.setString(1, s.type());
        failed.setString(2, s.data());
        failed.setString(3, s.error());
        failed.executeUpdate();
        scheduled.setString(1, s.type());
        scheduled.setString(2, s.data());
        scheduled.executeUpdate();
      }
    }
  }

  private static Map<String, List<String>> byId(List<List<String>> rows) {
    Map<String, List<String>> byId = new HashMap<>();
    rows.forEach(r -> byId.put(r.get(0), r));
    return byId;
  }

  /** {@code text} as a JSON object's value. */
  private static String json(String text) throws Exception {
    return io.eventworker.json.Json.MAPPER.createObjectNode().put("text", text).toString();
  }

  // PostgreSQL stores UTF-8 text, which has no lone surrogates: those are HtmlTextTest's.
  private static boolean hasLoneSurrogate(String s) {
    for (int i = 0; i < s.length(); i++) {
      char ch = s.charAt(i);
      if (Character.isHighSurrogate(ch)
          && i + 1 < s.length()
          && Character.isLowSurrogate(s.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(ch)) {
        return true;
      }
    }
    return false;
  }
}
