package io.eventworker.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.eventworker.console.ConsoleReadings.Reading;
import io.eventworker.console.ConsoleView.TypeRow;
import io.eventworker.metrics.ThroughputHistory.Span;
import io.eventworker.queue.ConsoleQueries.ListedEvent;
import io.eventworker.queue.EventMaintenance.ErrorCount;
import io.eventworker.queue.QueueReports.TableHealth;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("unit")
class ConsolePageTest {

  private static final List<Span> THROUGHPUT =
      List.of(
          new Span(1_700_000_060_000L, 60, 1_200, 3, 7), new Span(1_700_000_000_000L, 60, 0, 0, 0));

  @Test
  void showsEachFigureWhereItBelongs() {
    Document page = Jsoup.parse(render(view(UnaryOperator.identity()), true));
    assertEquals("5", page.selectFirst("meta[http-equiv=refresh]").attr("content"));
    assertEquals("1,042", tile(page, "due"));
    assertEquals("7", tile(page, "scheduled"));
    assertEquals("12", tile(page, "failed"));
    assertEquals("≈ 8,939", tile(page, "processed"), "live rows less pending and failed");
    assertEquals("2 m 5 s", tile(page, "oldest-due"), "invoice has no handler here");
    assertEquals("20.0", tile(page, "rate"), "1,200 in the last minute");
    assertEquals(
        List.of(
            List.of("data_entry", "1,000", "7", "10", "2 m 5 s", "45 s", "yes"),
            List.of("invoice", "42", "0", "2", "1 h 2 m", "none", "no: stays pending here")),
        rows(page, "types"));
    assertEquals(List.of("1,200", "3", "7", "20.0"), rows(page, "throughput").get(0).subList(1, 5));
    assertEquals(
        List.of(List.of("8", "invalid payload: field 'key' is required")), rows(page, "errors"));
    assertEquals(
        List.of(
            List.of("77", "data_entry", "5", "2026-12-07 10:00:00", "45 s", "0", "{\"key\": 1}")),
        rows(page, "next-scheduled"));
    assertEquals(
        List.of("9", "invoice", "", "2026-12-07 08:59:00", "1 m 0 s", "5", "boom", "{}"),
        rows(page, "latest-failed").get(0));
    assertTrue(page.selectFirst("footer").text().contains("10,000 live rows, 20 dead"));
  }

  @Test
  void payloadsAreLeftOutUnlessShown() {
    String html = render(view(UnaryOperator.identity()), false);
    Document page = Jsoup.parse(html);
    assertFalse(html.contains("\"key\": 1") || html.contains("&quot;key&quot;: 1"), html);
    assertEquals(
        List.of("id", "type", "user", "due at (UTC)", "due in", "attempts"),
        page.select("#next-scheduled th").eachText());
    assertTrue(
        page.selectFirst(".meta").text().contains("Payloads hidden (CONSOLE_SHOW_PAYLOADS)"));
  }

  @Test
  void noTextFromTheDatabaseBecomesMarkup() {
    for (String hostile : HtmlTextTest.MARKUP) {
      String benign = render(view(s -> "text"), true);
      String html = render(view(s -> hostile), true);
      Document page = Jsoup.parse(html);
      assertEquals(
          Jsoup.parse(benign).getAllElements().stream().map(Element::tagName).toList(),
          page.getAllElements().stream().map(Element::tagName).toList(),
          "the same elements as with plain text: " + hostile);
      assertEquals(0, page.select("script, img, svg, a, iframe, textarea, xmp").size(), hostile);
      assertEquals(1, page.select("style").size(), hostile);
      assertEquals(2, page.select("meta").size(), hostile);
      for (Element e : page.getAllElements()) {
        e.attributes().forEach(a -> assertAllowed(a.getKey(), a.getValue(), hostile));
      }
      String shown = HtmlText.shown(hostile);
      for (String table : List.of("types", "errors", "next-scheduled", "latest-failed")) {
        assertTrue(
            rows(page, table).stream().anyMatch(r -> r.contains(shown)),
            table + " shows the text as it is: " + hostile);
      }
    }
  }

  @Test
  void aDatabaseErrorIsShownWithTheLastFiguresOrAlone() {
    Reading stale =
        new Reading(view(UnaryOperator.identity()), 0, "database: <Connection refused>", 0, 0);
    Document page = Jsoup.parse(ConsolePage.render(stale, THROUGHPUT, Set.of(), false, "host"));
    assertEquals(
        "database: <Connection refused>. The figures below are the last ones read.",
        page.getElementById("database-error").text());
    assertEquals("1,042", tile(page, "due"));
    Reading none = new Reading(null, 0, "database: timeout", 0, 0);
    Document alone = Jsoup.parse(ConsolePage.render(none, List.of(), Set.of(), false, "host"));
    assertEquals("database: timeout", alone.getElementById("database-error").text());
    assertEquals(0, alone.select("table").size());
  }

  @Test
  void formatsAreShortAndStable() {
    assertEquals("0 s", ConsoleFormat.duration(-3));
    assertEquals("59 s", ConsoleFormat.duration(59.4));
    assertEquals("1 m 0 s", ConsoleFormat.duration(60));
    assertEquals("23 h 59 m", ConsoleFormat.duration(86_399));
    assertEquals("3 d 1 h", ConsoleFormat.duration(3 * 86_400 + 3_600));
    assertEquals("1,234,567", ConsoleFormat.count(1_234_567));
    assertEquals("99.9", ConsoleFormat.rate(99.94));
    assertEquals("1,235", ConsoleFormat.rate(1_234.6));
    assertEquals("22:13:20", ConsoleFormat.clock(1_700_000_000_000L));
  }

  /** Fails unless the attribute is one the page's own markup writes. */
  static void assertAllowed(String name, String value, String hostile) {
    boolean allowed =
        switch (name) {
          case "lang" -> value.equals("en");
          case "charset" -> value.equals("utf-8");
          case "http-equiv" -> value.equals("refresh");
          case "content" -> value.equals("5");
          case "class" ->
              Set.of("meta", "error", "tiles", "tile", "tile warn", "n", "t", "bar", "none")
                  .contains(value);
          case "id" -> value.matches("[a-z-]+");
          case "style" -> value.matches("width:\\d+px");
          default -> false;
        };
    assertTrue(allowed, name + "=\"" + value + "\" with " + hostile);
  }

  private static String render(ConsoleView view, boolean payloads) {
    return ConsolePage.render(
        new Reading(view, 1_700_000_000_000L, null, 0, 3_000_000),
        THROUGHPUT,
        Set.of("data_entry", "metric"),
        payloads,
        "replica-1");
  }

  /** A view whose texts from the database all pass through {@code text}. */
  static ConsoleView view(UnaryOperator<String> text) {
    String type = text.apply("data_entry");
    return new ConsoleView(
        List.of(
            new TypeRow(type, 1_000, 7, 10, 125.0, 45.0),
            new TypeRow(text.apply("invoice"), 42, 0, 2, 3_725.0, null)),
        new TableHealth(10_000, 20, 0.5),
        List.of(new ErrorCount(text.apply("invalid payload: field 'key' is required"), 8)),
        List.of(
            new ListedEvent(
                77, type, 5, 0, "2026-12-07 10:00:00", 45, null, text.apply("{\"key\": 1}"))),
        List.of(
            new ListedEvent(
                9,
                text.apply("invoice"),
                null,
                5,
                "2026-12-07 08:59:00",
                60,
                text.apply("boom"),
                text.apply("{}"))));
  }

  private static String tile(Document page, String id) {
    return page.getElementById(id).selectFirst("b").text();
  }

  static List<List<String>> rows(Document page, String table) {
    List<List<String>> rows = new ArrayList<>();
    for (Element tr : page.getElementById(table).select("tbody tr")) {
      rows.add(tr.select("td").stream().map(Element::wholeText).toList());
    }
    return rows;
  }
}
