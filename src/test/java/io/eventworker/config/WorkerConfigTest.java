package io.eventworker.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@Tag("unit")
class WorkerConfigTest {

  @Test
  void defaultsAreTheSeeds() {
    WorkerConfig c = WorkerConfig.fromEnvironment(Map.of());
    assertEquals("jdbc:postgresql://localhost:5433/mockdb", c.database().jdbcUrl());
    assertEquals("mockuser", c.database().user());
    assertEquals("mockpass", c.database().password());
    assertEquals(10, c.poolSize());
    assertEquals(Duration.ofSeconds(30), c.poolIdleTimeout());
    assertEquals(Duration.ofSeconds(2), c.connectTimeout());
    assertEquals(8080, c.httpPort());
    assertEquals(0, c.warmUpEvents(), "no warm-up unless asked");
    assertFalse(c.consoleShowPayloads(), "the console hides payloads unless asked");
  }

  @Test
  void readsEverySetting() {
    WorkerConfig c =
        WorkerConfig.fromEnvironment(
            Map.ofEntries(
                Map.entry(
                    "DATABASE_URL",
                    "postgresql://app:secret@db.internal:6543/events?sslmode=require"),
                Map.entry("DB_POOL_SIZE", "20"),
                Map.entry("DB_IDLE_TIMEOUT", "1m"),
                Map.entry("DB_CONNECT_TIMEOUT", "3s"),
                Map.entry("WORKER_THREADS", "8"),
                Map.entry("BATCH_SIZE", "500"),
                Map.entry("POLL_INTERVAL", "250ms"),
                Map.entry("MAX_ATTEMPTS", "3"),
                Map.entry("RETRY_BACKOFF", "2s"),
                Map.entry("RETRY_BACKOFF_MAX", "1h"),
                Map.entry("HTTP_PORT", "9090"),
                Map.entry("HTTP_HOST", "127.0.0.1"),
                Map.entry("WARM_UP_EVENTS", "100000"),
                Map.entry("CONSOLE_SHOW_PAYLOADS", "true")));
    assertEquals(
        "jdbc:postgresql://db.internal:6543/events?sslmode=require", c.database().jdbcUrl());
    assertEquals("app", c.database().user());
    assertEquals("secret", c.database().password());
    assertEquals(20, c.poolSize());
    assertEquals(Duration.ofMinutes(1), c.poolIdleTimeout());
    assertEquals(Duration.ofSeconds(3), c.connectTimeout());
    assertEquals(8, c.workerThreads());
    assertEquals(500, c.batchSize());
    assertEquals(Duration.ofMillis(250), c.pollInterval());
    assertEquals(3, c.maxAttempts());
    assertEquals(Duration.ofSeconds(2), c.retryBackoff());
    assertEquals(Duration.ofHours(1), c.retryBackoffMax());
    assertEquals(9090, c.httpPort());
    assertEquals("127.0.0.1", c.httpHost());
    assertEquals(100_000, c.warmUpEvents());
    assertTrue(c.consoleShowPayloads());
    assertTrue(c.toString().endsWith(" consoleShowPayloads"), c.toString());
  }

  @Test
  void acceptsUrlsWithoutPasswordAndJdbcUrls() {
    DatabaseUrl noPassword =
        DatabaseUrl.parse("DATABASE_URL", "postgresql://postgres@127.0.0.1/test");
    assertEquals("jdbc:postgresql://127.0.0.1:5432/test", noPassword.jdbcUrl());
    assertEquals("postgres", noPassword.user());
    assertNull(noPassword.password());

    DatabaseUrl jdbc =
        DatabaseUrl.parse("DATABASE_URL", "jdbc:postgresql://h:1/d?user=u&password=p");
    assertEquals("jdbc:postgresql://h:1/d?user=u&password=p", jdbc.jdbcUrl());
    assertEquals("jdbc:postgresql://h:1/d?user=u&password=***", jdbc.masked());

    DatabaseUrl encoded = DatabaseUrl.parse("DATABASE_URL", "postgres://u%40x:p%3Ass@h/d");
    assertEquals("u@x", encoded.user());
    assertEquals("p:ss", encoded.password());
  }

  @Test
  void acceptsHostNamesWithUnderscoresAndIpv6Addresses() {
    DatabaseUrl underscore =
        DatabaseUrl.parse("DATABASE_URL", "postgresql://u:p@mock_postgres_1:5433/mockdb");
    assertEquals("jdbc:postgresql://mock_postgres_1:5433/mockdb", underscore.jdbcUrl());
    assertEquals("u", underscore.user());
    assertEquals("p", underscore.password());
    assertEquals(
        "jdbc:postgresql://db_host:5432/d?sslmode=require",
        DatabaseUrl.parse("DATABASE_URL", "postgresql://db_host/d?sslmode=require").jdbcUrl());
    assertEquals(
        "jdbc:postgresql://[::1]:5432/d",
        DatabaseUrl.parse("DATABASE_URL", "postgresql://u@[::1]/d").jdbcUrl());
    // As before the authority was read by hand: an empty port is the default, leading zeros are
    // allowed.
    assertEquals(
        "jdbc:postgresql://h:5432/d",
        DatabaseUrl.parse("DATABASE_URL", "postgresql://h:/d").jdbcUrl());
    assertEquals(
        "jdbc:postgresql://h:5433/d",
        DatabaseUrl.parse("DATABASE_URL", "postgresql://h:005433/d").jdbcUrl());
  }

  @Test
  void acceptsSeveralHostsForAPrimaryAndItsStandbys() {
    DatabaseUrl url =
        DatabaseUrl.parse(
            "DATABASE_URL",
            "postgres://u:pw@host1:5432,host2:5433,db_3/db?targetServerType=primary");
    assertEquals(
        "jdbc:postgresql://host1:5432,host2:5433,db_3:5432/db?targetServerType=primary",
        url.jdbcUrl());
    assertEquals(3, url.hostCount());
    assertEquals("host1:5432,host2:5433,db_3:5432", url.hostAndPort());
    assertEquals("db", url.databaseName());
    assertEquals("u", url.user());
    assertEquals("pw", url.password());
    assertEquals(
        "jdbc:postgresql://host1:5432,host2:5433,db_3:5432/other?targetServerType=primary",
        url.withDatabase("other").jdbcUrl());
    DatabaseUrl jdbc =
        DatabaseUrl.parse(
            "DATABASE_URL",
            "jdbc:postgresql://a:1,b:2/db?targetServerType=primary&hostRecheckSeconds=2");
    assertEquals(2, jdbc.hostCount());
    assertEquals("a:1,b:2", jdbc.hostAndPort());
    assertEquals(1, DatabaseUrl.parse("DATABASE_URL", "postgresql://h/d").hostCount());
    // The deprecated name of primary, and any choice at all for one host.
    DatabaseUrl.parse("DATABASE_URL", "postgresql://a,b/d?targetServerType=master");
    DatabaseUrl.parse("DATABASE_URL", "postgresql://a/d?targetServerType=preferSecondary");
  }

  @Test
  void pointsAtAnotherDatabaseOfTheSameServer() {
    DatabaseUrl url =
        DatabaseUrl.parse("DATABASE_URL", "postgresql://u:p@h:6000/first?sslmode=require");
    assertEquals("first", url.databaseName());
    DatabaseUrl other = url.withDatabase("second");
    assertEquals("jdbc:postgresql://h:6000/second?sslmode=require", other.jdbcUrl());
    assertEquals("u", other.user());
    assertEquals("p", other.password());
    assertEquals(
        "jdbc:postgresql://h/x",
        DatabaseUrl.parse("DATABASE_URL", "jdbc:postgresql://h/db").withDatabase("x").jdbcUrl());
  }

  @Test
  void databasePasswordOverridesTheUrls() {
    WorkerConfig c =
        WorkerConfig.fromEnvironment(
            Map.of(
                "DATABASE_URL",
                "postgresql://app_user@db:5432/mockdb",
                "DATABASE_PASSWORD",
                "from-secret"));
    assertEquals("from-secret", c.database().password());
  }

  @Test
  void orderedEventTypesAreAListOfTypes() {
    assertEquals(Set.of(), WorkerConfig.fromEnvironment(Map.of()).orderedEventTypes());
    WorkerConfig c =
        WorkerConfig.fromEnvironment(Map.of("ORDERED_EVENT_TYPES", " metric , data_entry"));
    assertEquals(Set.of("data_entry", "metric"), c.orderedEventTypes());
    assertTrue(c.toString().endsWith(" ordered=data_entry,metric"), c.toString());
    for (String bad : new String[] {"data_entry,,metric", "data_entry,", "x".repeat(101)}) {
      ConfigException e =
          assertThrows(
              ConfigException.class,
              () -> WorkerConfig.fromEnvironment(Map.of("ORDERED_EVENT_TYPES", bad)),
              bad);
      assertTrue(e.getMessage().startsWith("ORDERED_EVENT_TYPES=" + bad + ": "), e.getMessage());
    }
  }

  @Test
  void anOrderedTypeWithNoHandlerIsAnError() {
    OrderedEventTypes.requireHandled(Set.of("metric"), List.of("data_entry", "metric"));
    ConfigException e =
        assertThrows(
            ConfigException.class,
            () ->
                OrderedEventTypes.requireHandled(
                    Set.of("data_entyr", "metric"), List.of("data_entry", "metric")));
    assertEquals(
        "ORDERED_EVENT_TYPES=data_entyr,metric: no handler here for data_entyr"
            + " (handled: data_entry, metric); list only types this worker handles",
        e.getMessage());
  }

  @Test
  void neverShowsThePassword() {
    WorkerConfig c =
        WorkerConfig.fromEnvironment(Map.of("DATABASE_URL", "postgresql://u:hunter2@h:5432/d"));
    assertFalse(c.toString().contains("hunter2"), c.toString());
    assertTrue(c.toString().contains("jdbc:postgresql://h:5432/d as u"), c.toString());
    ConfigException e =
        assertThrows(
            ConfigException.class,
            () -> WorkerConfig.fromEnvironment(Map.of("DATABASE_URL", "mysql://u:hunter2@h/d")));
    assertFalse(e.getMessage().contains("hunter2"), e.getMessage());
  }

  @Test
  void passwordsWithSlashesOrAtSignsAreHiddenInErrors() {
    for (String url :
        new String[] {
          "postgresql://user:pa/ss@host/db-missing-host-check:x",
          "postgresql://user:p@ss@h",
          "postgresql://user:pa/ss@host",
          "postgresql://app:hunter2#x@db/events",
          "postgresql://app:Tr0ub4dor?3@db/events",
          "jdbc:postgresql://127.0.0.1:notaport/db?user=u&password=TopSecret",
          "mysql://u:p/w@ss@h/d"
        }) {
      ConfigException e =
          assertThrows(
              ConfigException.class,
              () -> WorkerConfig.fromEnvironment(Map.of("DATABASE_URL", url)),
              url);
      for (String secret :
          new String[] {
            "pa/ss", "p@ss", "TopSecret", "p/w@ss", "hunter2", "Tr0ub4dor", "'user:pa'"
          }) {
        assertFalse(e.getMessage().contains(secret), e.getMessage());
      }
    }
  }

  @Test
  void poolerDecidesWhetherWorkersListen() {
    WorkerConfig direct = WorkerConfig.fromEnvironment(Map.of());
    assertEquals(Pooler.NONE, direct.pooler());
    assertFalse(direct.pollOnly());
    WorkerConfig session = WorkerConfig.fromEnvironment(Map.of("DB_POOLER", "session"));
    assertEquals(Pooler.SESSION, session.pooler());
    assertFalse(session.pollOnly());
    assertTrue(
        WorkerConfig.fromEnvironment(Map.of("DB_POOLER", "session", "POLL_ONLY", "true"))
            .pollOnly());
    // Transaction pooling implies polling only, and refuses to listen.
    WorkerConfig transaction = WorkerConfig.fromEnvironment(Map.of("DB_POOLER", "transaction"));
    assertEquals(Pooler.TRANSACTION, transaction.pooler());
    assertTrue(transaction.pollOnly());
    assertTrue(transaction.toString().contains("pooler=transaction"), transaction.toString());
    assertTrue(transaction.toString().contains("pollOnly"), transaction.toString());
    ConfigException e =
        assertThrows(
            ConfigException.class,
            () ->
                WorkerConfig.fromEnvironment(
                    Map.of("DB_POOLER", "transaction", "POLL_ONLY", "false")));
    assertEquals(
        "POLL_ONLY=false: cannot be false with DB_POOLER=transaction: LISTEN does not work through"
            + " transaction pooling (leave POLL_ONLY unset or true)",
        e.getMessage());
  }

  @Test
  void blankCountsAsUnset() {
    assertEquals(10, WorkerConfig.fromEnvironment(Map.of("DB_POOL_SIZE", "  ")).poolSize());
  }

  @ParameterizedTest(name = "{0}={1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "DATABASE_URL|mysql://u@h/d|expected postgresql://",
        "DATABASE_URL|postgresql://u@h|names no database",
        "DATABASE_URL|postgresql://u@:5/d|names no host",
        "DATABASE_URL|postgresql://u@h:70000/d|port 70000 is out of range",
        "DATABASE_URL|postgresql://u@h!x:5/d|are not a host name or address",
        "DATABASE_URL|postgresql://u@h1,h2/d|a URL with 2 hosts needs targetServerType=primary",
        "DATABASE_URL|postgresql://u@h1,h2/d?targetServerType=any|needs targetServerType=primary",
        "DATABASE_URL|jdbc:postgresql://h1,h2/d?targetServerType=preferPrimary|needs"
            + " targetServerType=primary",
        "DATABASE_URL|postgresql://u@h/d?targetServerType=leader|targetServerType=leader is not"
            + " one of any, primary",
        "DATABASE_URL|postgresql://u@a,b/d?targetServerType=primary&hostRecheckSeconds=soon"
            + "|hostRecheckSeconds=soon is not a whole number",
        "DATABASE_URL|postgresql://u@h1,/d?targetServerType=primary|names no host",
        "DATABASE_URL|postgresql://u@h1,h2:99999/d?targetServerType=primary|port 99999 is out of"
            + " range",
        "DATABASE_URL|postgresql://u@h1,h!2/d?targetServerType=primary|are not a host name",
        "DB_POOL_SIZE|ten|expected a whole number from 2 to 1000",
        "DB_POOL_SIZE|0|expected a whole number from 2 to 1000",
        "WORKER_THREADS|-1|expected a whole number from 1 to 256",
        "WORKER_THREADS|12|needs DB_POOL_SIZE of at least 13 (it is 10)",
        "BATCH_SIZE|1.5|expected a whole number",
        "BATCH_SIZE|100000|expected a whole number from 1 to 10000",
        "MAX_ATTEMPTS|0|expected a whole number from 1 to 1000",
        "POLL_INTERVAL|5|expected a duration with a unit",
        "POLL_INTERVAL|1ms|expected a duration from 10ms to 1h",
        "DB_IDLE_TIMEOUT|soon|expected a duration with a unit",
        "DB_CONNECT_TIMEOUT|2 seconds|expected a duration with a unit",
        "RETRY_BACKOFF|2h|is longer than RETRY_BACKOFF_MAX",
        "HTTP_PORT|70000|expected a whole number from 0 to 65535",
        "HTTP_PORT|http|expected a whole number from 0 to 65535",
        "HTTP_HOST|no-such-host.invalid|expected an address of this machine",
        "LOG_LEVEL|verbose|expected one of TRACE, DEBUG, INFO, WARN, ERROR, OFF",
        "LOG_FORMAT|JSON|expected plain or json",
        "DB_TIMEZONE|Mars/Olympus|expected a time zone name",
        "DB_TIMEZONE|UTC+5|not an offset such as +05:00",
        "DB_TIMEZONE|+05:00|not an offset such as +05:00",
        "DB_TIMEZONE|Z|expected a time zone name",
        "DB_TIMEZONE|UT|expected a time zone name",
        "DB_TIMEZONE|SystemV/EST5|expected a time zone name",
        "DB_STATEMENT_TIMEOUT|30s|must be shorter than DB_SOCKET_TIMEOUT (30s)",
        "DB_IDLE_TIMEOUT|1h|expected a duration from 10s to 29m",
        "DB_CONNECT_TIMEOUT|500ms|expected a duration from 1s to 5m",
        "RETENTION|30m|expected a duration from 1h to 36500d",
        "UNHANDLED_EVENT_TYPES|drop|expected leave (another deployment handles them) or fail",
        "DB_POOLER|pgbouncer|expected none (a direct connection), session or transaction",
        "DB_POOLER|Transaction|expected none (a direct connection), session or transaction",
        "POLL_ONLY|yes|expected true or false",
        "WARM_UP_EVENTS|-1|expected a whole number from 0 to 10000000",
        "WARM_UP_EVENTS|lots|expected a whole number from 0 to 10000000",
        "CONSOLE_SHOW_PAYLOADS|yes|expected true or false",
        "CONSOLE_SHOW_PAYLOADS|TRUE|expected true or false",
      })
  void badValueNamesTheVariableAndTheValue(String name, String value, String problem) {
    ConfigException e =
        assertThrows(
            ConfigException.class, () -> WorkerConfig.fromEnvironment(Map.of(name, value)));
    assertTrue(e.getMessage().startsWith(name + "=" + value + ": "), e.getMessage());
    assertTrue(e.getMessage().contains(problem), e.getMessage());
  }

  @Test
  void durationsRoundTrip() {
    assertEquals(Duration.ofDays(7), Settings.parseDuration("7d"));
    assertEquals("7d", Settings.format(Duration.ofDays(7)));
    assertEquals("250ms", Settings.format(Duration.ofMillis(250)));
    assertNull(Settings.parseDuration("99999999999999999999d"));
  }
}
