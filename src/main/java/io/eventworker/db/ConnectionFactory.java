package io.eventworker.db;

import java.sql.Connection;
import java.sql.SQLException;

/** Opens one connection outside the pool, for a session whose state a pool would recycle. */
@FunctionalInterface
public interface ConnectionFactory {
  Connection open() throws SQLException;
}
