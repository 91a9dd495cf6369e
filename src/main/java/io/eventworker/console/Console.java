package io.eventworker.console;

import io.eventworker.metrics.HttpEndpoint.Reply;
import io.eventworker.metrics.ThroughputHistory;
import java.util.Set;
import java.util.function.Supplier;

/**
 * {@code GET /}: the read-only console page, from the database's last reading ({@link
 * ConsoleReadings}) and this replica's throughput. 503 while the database cannot be read.
 */
public final class Console implements Supplier<Reply>, AutoCloseable {

  private static final String HTML = "text/html; charset=utf-8";

  private final ConsoleReadings readings;
  private final ThroughputHistory throughput;
  private final Set<String> handledTypes;
  private final String replica;
  private volatile Rendered rendered;

  private record Rendered(ConsoleReadings.Reading reading, Reply reply) {}

  /**
   * @param handledTypes the event types this worker has handlers for
   * @param replica how this replica is named on the page (its host name)
   */
  public Console(
      ConsoleReadings readings,
      ThroughputHistory throughput,
      Set<String> handledTypes,
      String replica) {
    this.readings = readings;
    this.throughput = throughput;
    this.handledTypes = Set.copyOf(handledTypes);
    this.replica = replica;
  }

  /**
   * The page of the current reading. It is rendered once per reading (at most once a second), so
   * that a reload storm costs the worker little more than sending the same bytes again; its
   * throughput figures are those of the moment it was rendered.
   */
  @Override
  public Reply get() {
    ConsoleReadings.Reading reading = readings.current();
    Rendered known = rendered;
    if (known != null && known.reading() == reading) {
      return known.reply();
    }
    String page =
        ConsolePage.render(
            reading, throughput.minutes(), handledTypes, readings.payloads(), replica);
    Reply reply = new Reply(reading.error() == null ? 200 : 503, HTML, page);
    rendered = new Rendered(reading, reply);
    return reply;
  }

  /** Stops sampling the throughput. */
  @Override
  public void close() {
    throughput.close();
  }
}
