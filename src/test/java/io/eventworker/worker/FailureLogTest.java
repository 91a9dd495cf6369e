package io.eventworker.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

@Tag("unit")
class FailureLogTest {

  @Test
  void logsAFewLinesAWindowThenSaysHowManyItLeftOut() {
    Logger logger = (Logger) LoggerFactory.getLogger("failure-log-test");
    ListAppender<ILoggingEvent> lines = new ListAppender<>();
    lines.start();
    logger.addAppender(lines);
    AtomicLong now = new AtomicLong();
    FailureLog log = new FailureLog(logger, now::get);

    for (int i = 0; i < 1000; i++) {
      log.warn("event {} failed", i);
    }
    assertEquals(FailureLog.LINES_PER_WINDOW, lines.list.size());

    now.addAndGet(FailureLog.WINDOW_SECONDS * 1_000_000_000L);
    log.warn("event {} failed", 1000);
    assertEquals(FailureLog.LINES_PER_WINDOW + 2, lines.list.size());
    String summary = lines.list.get(FailureLog.LINES_PER_WINDOW).getFormattedMessage();
    assertTrue(
        summary.startsWith(
            (1000 - FailureLog.LINES_PER_WINDOW)
                + " more failed or retried events were not logged"),
        summary);
    assertEquals(
        "event 1000 failed", lines.list.get(FailureLog.LINES_PER_WINDOW + 1).getFormattedMessage());
  }
}
