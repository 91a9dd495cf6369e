package io.eventworker.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.zaxxer.hikari.HikariDataSource;
import io.eventworker.testing.TestDatabase;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

@Tag("database")
class TransactionsTest {

  @RegisterExtension final TestDatabase db = TestDatabase.migrated();

  @Test
  void commitsWhatTheWorkWroteAndRollsBackWhatFailed() throws Exception {
    try (HikariDataSource pool =
        ConnectionPool.create(db.config(), null, ConnectionPool.Use.COMMAND)) {
      long id = Transactions.commit(pool, c -> insert(c, "kept"));
      assertEquals(1, db.queryLong("SELECT count(*) FROM events WHERE id = " + id));

      SQLException failure =
          assertThrows(
              SQLException.class,
              () ->
                  Transactions.commit(
                      pool,
                      c -> {
                        insert(c, "lost");
                        try (Statement s = c.createStatement()) {
                          s.execute("SELECT * FROM no_such_table");
                        }
                        return null;
                      }));
      assertEquals("42P01", failure.getSQLState());
      assertThrows(
          IllegalStateException.class,
          () ->
              Transactions.commit(
                  pool,
                  c -> {
                    insert(c, "lost");
                    throw new IllegalStateException("the work's own failure");
                  }));
      assertEquals(0, db.queryLong("SELECT count(*) FROM events WHERE event_type = 'lost'"));

      // The connection went back to the pool with no transaction open: the next work sees a clean
      // one.
      try (Connection c = pool.getConnection()) {
        assertFalse(c.getAutoCommit());
        long kept =
            Transactions.commit(
                c,
                t -> {
                  try (Statement s = t.createStatement();
                      var rs = s.executeQuery("SELECT count(*) FROM events")) {
                    rs.next();
                    return rs.getLong(1);
                  }
                });
        assertEquals(1, kept);
      }
    }
  }

  @Test
  void aReadIsRolledBack() throws Exception {
    try (HikariDataSource pool =
        ConnectionPool.create(db.config(), null, ConnectionPool.Use.COMMAND)) {
      Transactions.read(pool, c -> insert(c, "read-only work that wrote"));
      assertEquals(0, db.queryLong("SELECT count(*) FROM events"));
    }
  }

  private static long insert(Connection c, String type) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute("INSERT INTO events (event_type, data) VALUES ('" + type + "', '{}') RETURNING id");
      var rs = s.getResultSet();
      rs.next();
      return rs.getLong(1);
    }
  }
}
