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

  @Override
  public Reply get() {
    ConsoleReadings.Reading reading = readings.current();
    String page =
        ConsolePage.render(
            reading, throughput.minutes(), handledTypes, readings.payloads(), replica);
    return new Reply(reading.error() == null ? 200 : 503, HTML, page);
  }

  /** Stops sampling the throughput. */
  @Override
  public void close() {
    throughput.close();
  }
}
