package io.eventworker.db;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class TransientErrorsTest {

  @ParameterizedTest
  @ValueSource(strings = {"08000", "08003", "08006", "08001", "57P01", "57P02", "57P03", "40001", "40P01", "53300"})
  void connectionShutdownSerializationAndDeadlockAreTransient(String state) {
    assertTrue(TransientErrors.isTransient(new SQLException("x", state)));
    assertTrue(TransientErrors.isTransient(new RuntimeException(new SQLException("wrapped", state))));
  }

  @ParameterizedTest
  @ValueSource(strings = {"42P01", "42501", "23505", "22003", "XX000", "57014"})
  void otherErrorsAreNot(String state) {
    assertFalse(TransientErrors.isTransient(new SQLException("x", state)));
  }

  @Test
  void poolTimeoutsAreTransient() {
    assertTrue(TransientErrors.isTransient(new SQLTransientConnectionException("pool timed out")));
    assertFalse(TransientErrors.isTransient(new IllegalStateException("bug")));
  }

  @Test
  void dataAndIntegrityErrorsAreCausedByTheData() {
    assertTrue(TransientErrors.isCausedByData(new SQLException("fk", "23503")));
    assertTrue(TransientErrors.isCausedByData(new SQLException("overflow", "22003")));
    assertFalse(TransientErrors.isCausedByData(new SQLException("perm", "42501")));
  }
}
