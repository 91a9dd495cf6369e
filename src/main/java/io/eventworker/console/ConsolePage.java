package io.eventworker.console;

import static io.eventworker.console.ConsoleFormat.clock;
import static io.eventworker.console.ConsoleFormat.count;
import static io.eventworker.console.ConsoleFormat.duration;
import static io.eventworker.console.ConsoleFormat.durationOrNone;
import static io.eventworker.console.ConsoleFormat.rate;

import io.eventworker.console.ConsoleReadings.Reading;
import io.eventworker.console.ConsoleView.TypeRow;
import io.eventworker.metrics.ThroughputHistory.Span;
import io.eventworker.queue.ConsoleQueries.ListedEvent;
import io.eventworker.queue.EventMaintenance.ErrorCount;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The console as one HTML document: markup and style are constants of this class, and every value
 * from the database or the environment goes through {@link HtmlText#escape}, so that no payload,
 * error text or event type can add an element or an attribute.
 */
final class ConsolePage {

  static final int REFRESH_SECONDS = 5;

  private static final String STYLE =
      """
      body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#1d2330;background:#f6f7f9}
      h1{font-size:1.4em;margin:0}h2{font-size:1.1em;margin:1.6em 0 .5em}
      .meta{color:#5a6272;margin:.3em 0 1em}
      .error{background:#fde8e8;border:1px solid #e0a0a0;padding:.6em;border-radius:4px}
      .tiles{display:flex;flex-wrap:wrap;gap:.8em}
      .tile{background:#fff;border:1px solid #dde1e8;border-radius:6px;padding:.6em 1em;min-width:9em}
      .tile b{display:block;font-size:1.6em}.tile span{color:#5a6272}
      .warn b{color:#b42318}
      table{border-collapse:collapse;background:#fff;border:1px solid #dde1e8;max-width:100%}
      th,td{padding:.3em .7em;border-bottom:1px solid #eceef2;text-align:left;vertical-align:top}
      th{background:#eef0f4;font-weight:600}
      td{unicode-bidi:isolate;white-space:pre}
      td.t{white-space:pre-wrap;overflow-wrap:anywhere;min-width:16em;max-width:40em}
      td.n{text-align:right;font-variant-numeric:tabular-nums}
      .bar{background:#3b82f6;height:.8em;min-width:1px}
      .none{color:#5a6272}footer{margin-top:2em;color:#5a6272}
      """;

  private final StringBuilder out = new StringBuilder(16_384);
  private final Set<String> handledTypes;
  private final boolean payloads;

  private ConsolePage(Set<String> handledTypes, boolean payloads) {
    this.handledTypes = handledTypes;
    this.payloads = payloads;
  }

  /** The page for a reading of the database and this replica's recent throughput. */
  static String render(
      Reading reading,
      List<Span> throughput,
      Set<String> handledTypes,
      boolean payloads,
      String replica) {
    return new ConsolePage(handledTypes, payloads).page(reading, throughput, replica);
  }

  private String page(Reading reading, List<Span> throughput, String replica) {
    out.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
        .append("<meta http-equiv=\"refresh\" content=\"")
        .append(REFRESH_SECONDS)
        .append("\"><title>event-worker console</title><style>")
        .append(STYLE)
        .append("</style></head><body>\n<h1>event-worker: queue console</h1>\n<p class=\"meta\">");
    text("Read-only. Refreshes every " + REFRESH_SECONDS + " s. Replica " + replica + ". ");
    ConsoleView view = reading.view();
    if (view != null) {
      text("Database read at " + clock(reading.viewAtMillis()) + " UTC");
      text(" (" + reading.tookNanos() / 1_000_000 + " ms). ");
    }
    text(payloads ? "Payloads shown." : "Payloads hidden (CONSOLE_SHOW_PAYLOADS).");
    out.append("</p>\n");
    if (reading.error() != null) {
      out.append("<p class=\"error\" id=\"database-error\">");
      text(reading.error() + (view == null ? "" : ". The figures below are the last ones read."));
      out.append("</p>\n");
    }
    if (view != null) {
      tiles(view, throughput);
      types(view.types());
      throughput(throughput);
      scheduled(view.nextScheduled());
      errors(view.topErrors());
      failed(view.latestFailed());
      out.append("<footer>");
      text(
          "events table: "
              + count(view.table().liveTuples())
              + " live rows, "
              + count(view.table().deadTuples())
              + " dead row versions waiting for vacuum; oldest open transaction "
              + duration(view.table().oldestTransactionAgeSeconds())
              + ".");
      out.append("</footer>\n");
    }
    return out.append("</body></html>\n").toString();
  }

  private void tiles(ConsoleView view, List<Span> throughput) {
    out.append("<div class=\"tiles\">");
    tile("due", count(view.due()), "due now", false);
    tile("scheduled", count(view.scheduled()), "scheduled", false);
    tile("failed", count(view.failed()), "failed", view.failed() > 0);
    tile("processed", "≈ " + count(view.processedEstimate()), "processed (estimate)", false);
    tile(
        "oldest-due",
        durationOrNone(view.oldestDueSeconds(handledTypes)),
        "oldest due waiting, handled types",
        false);
    double lastMinute = throughput.isEmpty() ? 0 : throughput.get(0).processedPerSecond();
    tile("rate", rate(lastMinute), "processed/s, last minute, this replica", false);
    out.append("</div>\n");
  }

  private void tile(String id, String value, String label, boolean warn) {
    out.append("<div class=\"tile").append(warn ? " warn" : "").append("\" id=\"").append(id);
    out.append("\"><b>");
    text(value);
    out.append("</b><span>");
    text(label);
    out.append("</span></div>");
  }

  private void types(List<TypeRow> rows) {
    heading("Queue by event type");
    table(
        "types",
        "event type",
        "due",
        "scheduled",
        "failed",
        "oldest due waiting",
        "next scheduled in",
        "handler here");
    for (TypeRow row : rows) {
      out.append("<tr>");
      cell(row.eventType());
      number(count(row.due()));
      number(count(row.scheduled()));
      number(count(row.failed()));
      number(durationOrNone(row.oldestDueSeconds()));
      number(durationOrNone(row.nextScheduledInSeconds()));
      cell(handledTypes.contains(row.eventType()) ? "yes" : "no: stays pending here");
      out.append("</tr>\n");
    }
    endTable(rows.isEmpty(), "No pending or failed events.");
  }

  private void throughput(List<Span> spans) {
    heading("Throughput of this replica, per minute");
    table("throughput", "minute to (UTC)", "processed", "failed", "retried", "processed/s", "");
    double most = spans.stream().mapToDouble(Span::processedPerSecond).max().orElse(0);
    for (Span span : spans) {
      out.append("<tr>");
      cell(clock(span.endMillis()));
      number(count(span.processed()));
      number(count(span.failed()));
      number(count(span.retried()));
      number(rate(span.processedPerSecond()));
      long width = most > 0 ? Math.round(span.processedPerSecond() * 200 / most) : 0;
      out.append("<td><div class=\"bar\" style=\"width:").append(width).append("px\"></div></td>");
      out.append("</tr>\n");
    }
    endTable(spans.isEmpty(), "No samples yet.");
  }

  private void scheduled(List<ListedEvent> events) {
    heading("Scheduled: the next due");
    listed("next-scheduled", events, "due at (UTC)", "due in", false, "No scheduled events.");
  }

  private void errors(List<ErrorCount> errors) {
    heading("Most frequent errors of failed events");
    table("errors", "events", "error (first 200 characters)");
    for (ErrorCount error : errors) {
      out.append("<tr>");
      number(count(error.count()));
      longText(error.error());
      out.append("</tr>\n");
    }
    endTable(errors.isEmpty(), "No failed events.");
  }

  private void failed(List<ListedEvent> events) {
    heading("Latest failed events");
    listed("latest-failed", events, "failed at (UTC)", "ago", true, "No failed events.");
  }

  private void listed(
      String id, List<ListedEvent> events, String when, String ago, boolean error, String none) {
    List<String> headers = new ArrayList<>(List.of("id", "type", "user", when, ago, "attempts"));
    if (error) {
      headers.add("error");
    }
    if (payloads) {
      headers.add("payload");
    }
    table(id, headers.toArray(String[]::new));
    for (ListedEvent e : events) {
      out.append("<tr>");
      number(Long.toString(e.id()));
      cell(e.eventType());
      number(e.userId() == null ? "" : Long.toString(e.userId()));
      cell(e.when());
      number(duration(Math.abs(e.seconds())));
      number(Integer.toString(e.attempts()));
      if (error) {
        longText(e.error());
      }
      if (payloads) {
        longText(e.payload());
      }
      out.append("</tr>\n");
    }
    endTable(events.isEmpty(), none);
  }

  private void heading(String title) {
    out.append("<h2>");
    text(title);
    out.append("</h2>\n");
  }

  private void table(String id, String... headers) {
    out.append("<table id=\"").append(id).append("\"><thead><tr>");
    for (String header : headers) {
      out.append("<th>");
      text(header);
      out.append("</th>");
    }
    out.append("</tr></thead><tbody>\n");
  }

  private void endTable(boolean empty, String none) {
    out.append("</tbody></table>\n");
    if (empty) {
      out.append("<p class=\"none\">");
      text(none);
      out.append("</p>\n");
    }
  }

  private void cell(String value) {
    out.append("<td>");
    text(value);
    out.append("</td>");
  }

  /** A cell of free text (an error, a payload), wrapped anywhere to keep the table narrow. */
  private void longText(String value) {
    out.append("<td class=\"t\">");
    text(value);
    out.append("</td>");
  }

  private void number(String value) {
    out.append("<td class=\"n\">");
    text(value);
    out.append("</td>");
  }

  private void text(String value) {
    out.append(HtmlText.escape(value));
  }
}
