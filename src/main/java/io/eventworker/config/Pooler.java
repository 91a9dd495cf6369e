package io.eventworker.config;

/**
 * What stands between the worker and PostgreSQL (DB_POOLER), which decides how session settings are
 * applied and whether LISTEN can work.
 */
public enum Pooler {
  /** A direct connection: settings are set for the session once, after connecting. */
  NONE,
  /**
   * PgBouncer in session mode: each client connection keeps one server connection until it closes,
   * so session settings and LISTEN hold as on a direct connection.
   */
  SESSION,
  /**
   * PgBouncer in transaction mode: consecutive transactions of one client may run on different
   * server connections, so settings are set per transaction, nothing session-wide but what
   * PgBouncer itself tracks, no named prepared statements and no LISTEN.
   */
  TRANSACTION;

  static Pooler parse(String value) {
    return switch (value) {
      case "none" -> NONE;
      case "session" -> SESSION;
      case "transaction" -> TRANSACTION;
      default ->
          throw new ConfigException(
              "DB_POOLER",
              value,
              "expected none (a direct connection), session or transaction (PgBouncer's"
                  + " pool_mode)");
    };
  }

  /**
   * POLL_ONLY as set, or, unset, whether the pooler forbids LISTEN. Transaction pooling refuses
   * POLL_ONLY=false: a LISTEN there registers on a server connection the next transaction may not
   * get, and notifications would be lost or delivered to another client.
   */
  boolean pollOnly(Settings s) {
    String value = s.string("POLL_ONLY", null);
    if (value == null) {
      return this == TRANSACTION;
    }
    boolean pollOnly =
        switch (value) {
          case "true" -> true;
          case "false" -> false;
          default -> throw new ConfigException("POLL_ONLY", value, "expected true or false");
        };
    if (!pollOnly && this == TRANSACTION) {
      throw new ConfigException(
          "POLL_ONLY",
          value,
          "cannot be false with DB_POOLER=transaction: LISTEN does not work through transaction"
              + " pooling (leave POLL_ONLY unset or true)");
    }
    return pollOnly;
  }
}
