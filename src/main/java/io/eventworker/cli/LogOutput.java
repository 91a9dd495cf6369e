package io.eventworker.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import io.eventworker.config.WorkerConfig;
import org.slf4j.LoggerFactory;

/**
 * Applies LOG_LEVEL and LOG_FORMAT to logback once the settings are validated: logback.xml sets up
 * plain text on standard error, and {@code json} swaps in logback's own JSON encoder, one object
 * per line with the MDC fields (an event's id and type) as structured fields.
 */
final class LogOutput {

  static final String PLAIN_APPENDER = "STDERR";
  static final String JSON_APPENDER = "STDERR_JSON";

  private LogOutput() {}

  static void apply(WorkerConfig config) {
    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    root.setLevel(Level.toLevel(config.logLevel()));
    if (config.logFormat().equals("json") && root.getAppender(JSON_APPENDER) == null) {
      root.addAppender(jsonAppender(root.getLoggerContext()));
      root.detachAppender(PLAIN_APPENDER);
    }
  }

  private static ConsoleAppender<ILoggingEvent> jsonAppender(LoggerContext context) {
    JsonEncoder encoder = new JsonEncoder();
    encoder.setContext(context);
    // The line as written (formattedMessage), not the pattern and its arguments apart; the
    // context's name and properties and the sequence number are the same on every line.
    encoder.setWithContext(false);
    encoder.setWithSequenceNumber(false);
    encoder.setWithNanoseconds(false);
    encoder.setWithMessage(false);
    encoder.setWithArguments(false);
    encoder.setWithFormattedMessage(true);
    encoder.start();
    ConsoleAppender<ILoggingEvent> appender = new ConsoleAppender<>();
    appender.setName(JSON_APPENDER);
    appender.setContext(context);
    appender.setTarget("System.err");
    appender.setEncoder(encoder);
    appender.start();
    return appender;
  }
}
