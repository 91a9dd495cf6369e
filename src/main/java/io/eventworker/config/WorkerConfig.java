package io.eventworker.config;

import java.time.Duration;
import java.util.Map;
import java.util.Set;

/**
 * Every setting of the worker, read once from the environment and validated before anything starts.
 * The README's configuration table lists the same variables and defaults.
 */
public record WorkerConfig(
    DatabaseUrl database,
    Pooler pooler,
    int poolSize,
    Duration poolIdleTimeout,
    Duration connectTimeout,
    Duration socketTimeout,
    Duration statementTimeout,
    String dbTimeZone,
    int workerThreads,
    int batchSize,
    Duration pollInterval,
    boolean pollOnly,
    int maxAttempts,
    Duration retryBackoff,
    Duration retryBackoffMax,
    Duration dbRetryBackoff,
    Duration dbRetryBackoffMax,
    String httpHost,
    int httpPort,
    Duration queueMetricsInterval,
    Duration shutdownTimeout,
    String logLevel,
    String logFormat,
    Duration retention,
    boolean failUnhandledTypes,
    int warmUpEvents,
    boolean consoleShowPayloads,
    Set<String> orderedEventTypes) {

  public static final String DEFAULT_DATABASE_URL =
      "postgresql://mockuser:mockpass@localhost:5433/mockdb";
  // The original description's client pool: 10 connections, 30 s idle timeout, 2 s connection
  // timeout.
  public static final int DEFAULT_POOL_SIZE = 10;

  /** A direct connection to PostgreSQL, no pooler in between. */
  public static final String DEFAULT_DB_POOLER = "none";

  public static final Duration DEFAULT_POOL_IDLE_TIMEOUT = Duration.ofSeconds(30);
  public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(2);
  public static final Duration DEFAULT_SOCKET_TIMEOUT = Duration.ofSeconds(30);
  public static final Duration DEFAULT_STATEMENT_TIMEOUT = Duration.ofSeconds(15);
  public static final String DEFAULT_DB_TIMEZONE = "UTC";
  public static final int DEFAULT_WORKER_THREADS = 4;
  public static final int DEFAULT_BATCH_SIZE = 500;
  public static final Duration DEFAULT_POLL_INTERVAL = Duration.ofSeconds(1);
  public static final int DEFAULT_MAX_ATTEMPTS = 5;
  public static final Duration DEFAULT_RETRY_BACKOFF = Duration.ofSeconds(5);
  public static final Duration DEFAULT_RETRY_BACKOFF_MAX = Duration.ofMinutes(10);
  public static final Duration DEFAULT_DB_RETRY_BACKOFF = Duration.ofMillis(100);
  public static final Duration DEFAULT_DB_RETRY_BACKOFF_MAX = Duration.ofSeconds(5);
  public static final String DEFAULT_HTTP_HOST = "0.0.0.0";
  public static final int DEFAULT_HTTP_PORT = 8080;
  public static final Duration DEFAULT_QUEUE_METRICS_INTERVAL = Duration.ofSeconds(5);
  // Orchestrators send SIGKILL 10 s after SIGTERM; finish well before.
  public static final Duration DEFAULT_SHUTDOWN_TIMEOUT = Duration.ofSeconds(8);
  public static final String DEFAULT_LOG_LEVEL = "INFO";
  public static final int DEFAULT_WARM_UP_EVENTS = 0;

  /** {@code plain}: one line of text per entry; {@code json}: one JSON object per line. */
  public static final String DEFAULT_LOG_FORMAT = "plain";

  private static final Duration MS = Duration.ofMillis(1);
  private static final Duration DAY = Duration.ofDays(1);

  /** Reads and validates every setting; throws {@link ConfigException} on the first bad one. */
  public static WorkerConfig fromEnvironment(Map<String, String> env) {
    Settings s = new Settings(env);
    DatabaseUrl database =
        DatabaseUrl.parse("DATABASE_URL", s.string("DATABASE_URL", DEFAULT_DATABASE_URL))
            .withPassword(s.string("DATABASE_PASSWORD", null));
    Pooler pooler = Pooler.parse(s.string("DB_POOLER", DEFAULT_DB_POOLER));
    WorkerConfig config =
        new WorkerConfig(
            database,
            pooler,
            s.integer("DB_POOL_SIZE", DEFAULT_POOL_SIZE, 2, 1000),
            // HikariCP retires every connection after 30 minutes; a longer idle timeout would be
            // silently ignored.
            s.duration(
                "DB_IDLE_TIMEOUT",
                DEFAULT_POOL_IDLE_TIMEOUT,
                Duration.ofSeconds(10),
                Duration.ofMinutes(29)),
            s.duration(
                "DB_CONNECT_TIMEOUT",
                DEFAULT_CONNECT_TIMEOUT,
                Duration.ofSeconds(1),
                Duration.ofMinutes(5)),
            s.duration("DB_SOCKET_TIMEOUT", DEFAULT_SOCKET_TIMEOUT, Duration.ofSeconds(2), DAY),
            s.duration(
                "DB_STATEMENT_TIMEOUT", DEFAULT_STATEMENT_TIMEOUT, Duration.ofSeconds(1), DAY),
            SettingRules.timeZone(s.string("DB_TIMEZONE", DEFAULT_DB_TIMEZONE)),
            s.integer("WORKER_THREADS", DEFAULT_WORKER_THREADS, 1, 256),
            s.integer("BATCH_SIZE", DEFAULT_BATCH_SIZE, 1, 10_000),
            s.duration(
                "POLL_INTERVAL", DEFAULT_POLL_INTERVAL, Duration.ofMillis(10), Duration.ofHours(1)),
            pooler.pollOnly(s),
            s.integer("MAX_ATTEMPTS", DEFAULT_MAX_ATTEMPTS, 1, 1000),
            s.duration("RETRY_BACKOFF", DEFAULT_RETRY_BACKOFF, MS, DAY),
            s.duration("RETRY_BACKOFF_MAX", DEFAULT_RETRY_BACKOFF_MAX, MS, Duration.ofDays(30)),
            s.duration("DB_RETRY_BACKOFF", DEFAULT_DB_RETRY_BACKOFF, MS, Duration.ofMinutes(1)),
            s.duration(
                "DB_RETRY_BACKOFF_MAX", DEFAULT_DB_RETRY_BACKOFF_MAX, MS, Duration.ofMinutes(10)),
            SettingRules.httpHost(s.string("HTTP_HOST", DEFAULT_HTTP_HOST)),
            s.integer("HTTP_PORT", DEFAULT_HTTP_PORT, 0, 65_535),
            s.duration(
                "QUEUE_METRICS_INTERVAL",
                DEFAULT_QUEUE_METRICS_INTERVAL,
                Duration.ofMillis(100),
                DAY),
            s.duration(
                "SHUTDOWN_TIMEOUT",
                DEFAULT_SHUTDOWN_TIMEOUT,
                Duration.ofMillis(100),
                Duration.ofMinutes(10)),
            SettingRules.logLevel(s.string("LOG_LEVEL", DEFAULT_LOG_LEVEL)),
            SettingRules.logFormat(s.string("LOG_FORMAT", DEFAULT_LOG_FORMAT)),
            s.duration("RETENTION", null, Duration.ofHours(1), Duration.ofDays(36_500)),
            SettingRules.unhandledTypes(s.string("UNHANDLED_EVENT_TYPES", "leave")),
            s.integer("WARM_UP_EVENTS", DEFAULT_WARM_UP_EVENTS, 0, 10_000_000),
            s.bool("CONSOLE_SHOW_PAYLOADS", false),
            OrderedEventTypes.parse(s.string(OrderedEventTypes.SETTING, null)));
    config.validate();
    return config;
  }

  /** Checks the rules that tie settings together. */
  private void validate() {
    // One connection per worker thread, plus one for health checks and queue metrics.
    if (workerThreads + 1 > poolSize) {
      throw new ConfigException(
          "WORKER_THREADS",
          Integer.toString(workerThreads),
          "needs DB_POOL_SIZE of at least " + (workerThreads + 1) + " (it is " + poolSize + ")");
    }
    // The server must cancel a blocked statement before the client stops waiting for it.
    if (statementTimeout.compareTo(socketTimeout) >= 0) {
      throw new ConfigException(
          "DB_STATEMENT_TIMEOUT",
          Settings.format(statementTimeout),
          "must be shorter than DB_SOCKET_TIMEOUT (" + Settings.format(socketTimeout) + ")");
    }
    if (retryBackoff.compareTo(retryBackoffMax) > 0) {
      throw new ConfigException(
          "RETRY_BACKOFF", Settings.format(retryBackoff), "is longer than RETRY_BACKOFF_MAX");
    }
    if (dbRetryBackoff.compareTo(dbRetryBackoffMax) > 0) {
      throw new ConfigException(
          "DB_RETRY_BACKOFF",
          Settings.format(dbRetryBackoff),
          "is longer than DB_RETRY_BACKOFF_MAX");
    }
  }

  /** The same settings for another database. */
  public WorkerConfig withDatabase(DatabaseUrl other) {
    return new WorkerConfig(
        other,
        pooler,
        poolSize,
        poolIdleTimeout,
        connectTimeout,
        socketTimeout,
        statementTimeout,
        dbTimeZone,
        workerThreads,
        batchSize,
        pollInterval,
        pollOnly,
        maxAttempts,
        retryBackoff,
        retryBackoffMax,
        dbRetryBackoff,
        dbRetryBackoffMax,
        httpHost,
        httpPort,
        queueMetricsInterval,
        shutdownTimeout,
        logLevel,
        logFormat,
        retention,
        failUnhandledTypes,
        warmUpEvents,
        consoleShowPayloads,
        orderedEventTypes);
  }

  /** One line for the start-up log; the password never appears. */
  @Override
  public String toString() {
    return "database="
        + database.masked()
        + " pooler="
        + pooler.name().toLowerCase(java.util.Locale.ROOT)
        + " pool="
        + poolSize
        + " threads="
        + workerThreads
        + " batch="
        + batchSize
        + " poll="
        + Settings.format(pollInterval)
        + (pollOnly ? " pollOnly" : "")
        + " statementTimeout="
        + Settings.format(statementTimeout)
        + " timeZone="
        + dbTimeZone
        + " maxAttempts="
        + maxAttempts
        + " retryBackoff="
        + Settings.format(retryBackoff)
        + ".."
        + Settings.format(retryBackoffMax)
        + " dbRetryBackoff="
        + Settings.format(dbRetryBackoff)
        + ".."
        + Settings.format(dbRetryBackoffMax)
        + " http="
        + httpHost
        + ":"
        + httpPort
        + " retention="
        + (retention == null ? "forever" : Settings.format(retention))
        + " unhandledTypes="
        + (failUnhandledTypes ? "fail" : "leave")
        + " warmUpEvents="
        + warmUpEvents
        + (consoleShowPayloads ? " consoleShowPayloads" : "")
        + (orderedEventTypes.isEmpty() ? "" : " ordered=" + String.join(",", orderedEventTypes));
  }
}
