package io.eventworker.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.zaxxer.hikari.HikariDataSource;
import io.eventworker.config.DatabaseUrl;
import io.eventworker.config.WorkerConfig;
import io.eventworker.testing.PostgresServer;
import io.eventworker.testing.SilentHost;
import io.eventworker.testing.TestDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A DATABASE_URL with two hosts whose first one has gone silent (a machine gone from the network:
 * connection attempts are never answered, not refused): the pool and the dedicated connection still
 * reach the second host, because each new connection may take DB_CONNECT_TIMEOUT per host, not one
 * host's timeout for all of them.
 */
@Tag("database")
class MultiHostConnectionTest {

  @RegisterExtension final TestDatabase db = TestDatabase.migrated();

  @Test
  void skipsAFirstHostThatNeverAnswers() throws Exception {
    PostgresServer server = PostgresServer.get();
    try (SilentHost silent = SilentHost.start()) {
      assertTrue(silent.staysSilent(300), "the first host answers connection attempts");
      WorkerConfig config = WorkerConfig.fromEnvironment(env(silent.port(), server));
      assertEquals(2, config.database().hostCount());

      long started = System.nanoTime();
      try (HikariDataSource pool = ConnectionPool.create(config, null, ConnectionPool.Use.DAEMON);
          Connection pooled = pool.getConnection()) {
        assertEquals(db.name(), database(pooled));
      }
      try (Connection dedicated = ConnectionPool.openDedicated(config, ConnectionPool.Use.DAEMON)) {
        assertEquals(db.name(), database(dedicated));
      }
      double seconds = (System.nanoTime() - started) / 1e9;
      // The silent host was tried first and cost its timeout (1 s) once; the driver then remembers
      // it as down for hostRecheckSeconds and goes straight to the second host.
      assertTrue(seconds >= 1 && seconds < 10, "took " + seconds + " s");
    }
  }

  private Map<String, String> env(int silentPort, PostgresServer server) {
    DatabaseUrl own = DatabaseUrl.parse("DATABASE_URL", db.url());
    Map<String, String> env = new HashMap<>();
    env.put(
        "DATABASE_URL",
        "postgresql://"
            + own.user()
            + "@127.0.0.1:"
            + silentPort
            + ","
            + server.host()
            + ":"
            + server.port()
            + "/"
            + db.name()
            + "?targetServerType=primary");
    if (own.password() != null) {
      env.put("DATABASE_PASSWORD", own.password());
    }
    env.put("DB_CONNECT_TIMEOUT", "1s");
    return env;
  }

  // The test's own database answered: the second host, since the silent one cannot. (Not the
  // server's port: behind a container's published port the server reports its own.)
  private static String database(Connection c) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT current_database()")) {
      rs.next();
      return rs.getString(1);
    }
  }
}
