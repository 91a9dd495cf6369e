package io.eventworker.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@Tag("unit")
class DatabaseErrorsTest {

  @ParameterizedTest
  @ValueSource(
      strings = {
        "08000", "08003", "08006", "08001", "57P01", "57P02", "57P03", "40001", "40P01", "53300"
      })
  void connectionShutdownSerializationAndDeadlockAreTransient(String state) {
    assertTrue(DatabaseErrors.isTransient(new SQLException("x", state)));
    assertTrue(
        DatabaseErrors.isTransient(new RuntimeException(new SQLException("wrapped", state))));
  }

  @ParameterizedTest
  @ValueSource(strings = {"42P01", "42501", "23505", "22003", "XX000", "57014"})
  void otherErrorsAreNot(String state) {
    assertFalse(DatabaseErrors.isTransient(new SQLException("x", state)));
  }

  @Test
  void poolTimeoutsAreTransient() {
    assertTrue(DatabaseErrors.isTransient(new SQLTransientConnectionException("pool timed out")));
    assertFalse(DatabaseErrors.isTransient(new IllegalStateException("bug")));
  }

  @Test
  void aWrongPasswordOrMissingDatabaseIsNotTransientEvenWhenThePoolWrapsIt() {
    for (String state : new String[] {"28P01", "28000", "3D000", "42501"}) {
      SQLTransientConnectionException wrapped =
          new SQLTransientConnectionException(
              "pool: connection is not available", "08001", new SQLException("fatal", state));
      assertFalse(DatabaseErrors.isTransient(wrapped), state);
    }
  }

  @Test
  void theServersErrorIsFoundInsideThePoolsAndFlywaysWrappersWithWhatToCheck() {
    SQLException server = new SQLException("password authentication failed", "28P01");
    RuntimeException flyway =
        new RuntimeException(
            "Unable to obtain connection",
            new SQLTransientConnectionException(
                "pool: connection is not available", "08001", server));
    assertSame(server, DatabaseErrors.innermostSqlError(flyway));
    assertNull(DatabaseErrors.innermostSqlError(new RuntimeException("no SQL here")));
    assertEquals(
        ": check the user and password in DATABASE_URL, or DATABASE_PASSWORD",
        DatabaseErrors.remedy(server));
    assertEquals(
        ": check the database name in DATABASE_URL",
        DatabaseErrors.remedy(new SQLException("x", "3D000")));
    assertEquals("", DatabaseErrors.remedy(new SQLException("fk", "23503")));
  }

  @Test
  void dataAndIntegrityErrorsAreCausedByTheData() {
    assertTrue(DatabaseErrors.isCausedByData(new SQLException("fk", "23503")));
    assertTrue(DatabaseErrors.isCausedByData(new SQLException("overflow", "22003")));
    assertTrue(
        DatabaseErrors.isCausedByData(
            new SQLException("index row size 6016 exceeds maximum 2704", "54000")));
    assertFalse(DatabaseErrors.isCausedByData(new SQLException("too many columns", "54011")));
    assertFalse(DatabaseErrors.isCausedByData(new SQLException("statement timeout", "57014")));
  }

  @Test
  void aStatementTimeoutIsACancelledStatementAndATerminatedSessionIsNot() {
    assertTrue(
        DatabaseErrors.isStatementCancelled(
            new SQLException("canceling statement due to statement timeout", "57014")));
    assertFalse(
        DatabaseErrors.isStatementCancelled(new SQLException("terminating connection", "57P01")));
    assertFalse(DatabaseErrors.isCausedByData(new SQLException("perm", "42501")));
  }
}
