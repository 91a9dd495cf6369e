package io.eventworker.db;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.zaxxer.hikari.HikariDataSource;
import io.eventworker.config.WorkerConfig;
import io.eventworker.testing.TestDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** What each DB_POOLER sets on the server, and for how long, on a direct connection. */
@Tag("database")
class SessionSettingsTest {

  private static final String READ =
      "SELECT current_setting('statement_timeout'), current_setting('lock_timeout'),"
          + " current_setting('idle_in_transaction_session_timeout'), current_setting('TimeZone'),"
          + " current_setting('tcp_keepalives_idle'),"
          + " current_setting('client_connection_check_interval')";

  @RegisterExtension final TestDatabase db = TestDatabase.migrated();

  @Test
  void aDirectDaemonConnectionHasEverySettingForItsSession() throws Exception {
    try (HikariDataSource pool = pool("none", ConnectionPool.Use.DAEMON)) {
      assertEquals(
          List.of("7s", "3500ms", "30s", "Asia/Tokyo", "15", "5s"),
          Transactions.read(pool, SessionSettingsTest::read));
    }
  }

  @Test
  void throughSessionPoolingTheKeepalivesAreLeftToPgBouncer() throws Exception {
    List<String> plain;
    try (Connection c = db.connect()) {
      plain = read(c);
    }
    try (HikariDataSource pool = pool("session", ConnectionPool.Use.DAEMON)) {
      assertEquals(
          List.of("7s", "3500ms", "30s", "Asia/Tokyo", plain.get(4), plain.get(5)),
          Transactions.read(pool, SessionSettingsTest::read));
    }
  }

  @Test
  void commandsSetOnlyTheTimeZone() throws Exception {
    try (Connection c = ConnectionPool.openDedicated(config("none"), ConnectionPool.Use.COMMAND)) {
      assertEquals(List.of("0", "0", "0", "Asia/Tokyo"), read(c).subList(0, 4));
    }
  }

  @Test
  void throughTransactionPoolingEveryTransactionAndOnlyItGetsTheTimeouts() throws Exception {
    try (HikariDataSource pool = pool("transaction", ConnectionPool.Use.DAEMON);
        Connection c = pool.getConnection()) {
      List<String> first = Transactions.commit(c, SessionSettingsTest::read);
      assertEquals(List.of("7s", "3500ms", "30s", "Asia/Tokyo"), first.subList(0, 4));
      assertEquals(first, Transactions.commit(c, SessionSettingsTest::read), "after a commit");
      c.rollback();
      assertEquals(first, Transactions.read(pool, SessionSettingsTest::read), "another checkout");
      // Outside a transaction the session has none of them: they were never set for it.
      c.setAutoCommit(true);
      assertEquals(List.of("0", "0", "0", "Asia/Tokyo"), read(c).subList(0, 4));
    }
  }

  private HikariDataSource pool(String pooler, ConnectionPool.Use use) {
    return ConnectionPool.create(config(pooler), null, use);
  }

  private WorkerConfig config(String pooler) {
    return db.config(
        "DB_POOLER", pooler, "DB_STATEMENT_TIMEOUT", "7s", "DB_TIMEZONE", "Asia/Tokyo");
  }

  private static List<String> read(Connection c) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(READ)) {
      rs.next();
      return List.of(
          rs.getString(1),
          rs.getString(2),
          rs.getString(3),
          rs.getString(4),
          rs.getString(5),
          rs.getString(6));
    }
  }
}
