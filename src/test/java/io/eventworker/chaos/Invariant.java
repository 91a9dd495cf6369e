package io.eventworker.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.eventworker.testing.Fixtures;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * The exactly-once invariant, checked event by event against what {@link Traffic} inserted. Each
 * check is one SQL statement, so it reads one snapshot even while workers run.
 */
final class Invariant {

  private Invariant() {}

  /** Rows written for each key or metric name (the handlers' unique outputs). */
  private static final String ROWS =
      """
      r AS (
        SELECT key AS k, count(*) AS n FROM data_entries GROUP BY key
        UNION ALL
        SELECT metric_name, count(*) FROM metrics GROUP BY metric_name)
      """;

  /**
   * The outcome of a run over events 1..n.
   *
   * @param events events the producers inserted (n)
   * @param processed events marked processed
   * @param failed events marked failed
   * @param lost valid events not processed with their row, or invalid ones not failed with an
   *     error: left pending, missing, or marked processed without their row
   * @param duplicated valid events whose row is there more than once (or events stored twice)
   * @param stray rows written for an invalid event or for no event at all, and events the producers
   *     never inserted
   * @param extraAttempts finished events with attempts other than 1: an attempt charged for a
   *     failure that was the system's, not the event's
   * @param problems a few example events for each kind of violation
   */
  record Outcome(
      long events,
      long processed,
      long failed,
      long lost,
      long duplicated,
      long stray,
      long extraAttempts,
      List<String> problems) {

    boolean holds() {
      return lost == 0 && duplicated == 0 && stray == 0 && extraAttempts == 0;
    }
  }

  /** Checks events 1..n once the queue is drained. */
  static Outcome check(ChaosDatabase db, long n) throws SQLException {
    String sql =
        """
        WITH exp AS (
          SELECT g AS seq, g % {every} <> 0 AS valid,
                 CASE WHEN g % 2 = 1 THEN 'k-' ELSE 'm-' END || g AS k
          FROM generate_series(1, {n}) AS g),
        ev AS (
          SELECT (data->>'seq')::bigint AS seq, count(*) AS copies, min(status) AS status,
                 bool_and(coalesce(last_error, '') <> '') AS has_error,
                 bool_and(processed_at IS NOT NULL) AS has_time, max(attempts) AS attempts
          FROM events GROUP BY 1),
        {rows},
        j AS (
          SELECT exp.seq, exp.valid, exp.k, coalesce(ev.copies, 0) AS copies, ev.status, ev.has_error,
                 ev.has_time, ev.attempts, coalesce(r.n, 0) AS n
          FROM exp LEFT JOIN ev ON ev.seq = exp.seq LEFT JOIN r ON r.k = exp.k),
        verdict AS (
          SELECT seq, copies, status, n, attempts,
                 CASE
                   WHEN valid AND NOT (copies >= 1 AND status = 'processed' AND has_time AND n >= 1) THEN 'lost'
                   WHEN NOT valid AND NOT (copies >= 1 AND status = 'failed' AND has_time AND has_error) THEN 'lost'
                   WHEN copies > 1 OR (valid AND n > 1) THEN 'duplicated'
                   WHEN NOT valid AND n > 0 THEN 'stray'
                   WHEN attempts <> 1 THEN 'extra attempts'
                 END AS problem
          FROM j)
        SELECT
          (SELECT count(*) FROM events) AS events,
          (SELECT count(*) FROM events WHERE status = 'processed') AS processed,
          (SELECT count(*) FROM events WHERE status = 'failed') AS failed,
          (SELECT count(*) FROM verdict WHERE problem = 'lost') AS lost,
          (SELECT count(*) FROM verdict WHERE problem = 'duplicated') AS duplicated,
          (SELECT count(*) FROM verdict WHERE problem = 'stray')
            + (SELECT count(*) FROM r WHERE NOT EXISTS (SELECT 1 FROM exp WHERE exp.k = r.k))
            + (SELECT count(*) FROM ev WHERE ev.seq IS NULL OR ev.seq NOT BETWEEN 1 AND {n}) AS stray,
          (SELECT count(*) FROM verdict WHERE problem = 'extra attempts') AS extra_attempts,
          (SELECT string_agg(problem || ' #' || seq || ' (status ' || coalesce(status, 'missing') || ', '
                  || copies || ' stored, ' || n || ' rows, attempts ' || coalesce(attempts::text, '-') || ')', '; ')
           FROM (SELECT * FROM verdict WHERE problem IS NOT NULL ORDER BY seq LIMIT 20) x) AS examples
        """
            .replace("{every}", Integer.toString(Traffic.INVALID_EVERY))
            .replace("{rows}", ROWS.strip())
            .replace("{n}", Long.toString(n));
    try (Connection c = db.connect();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      List<String> problems = new ArrayList<>();
      if (rs.getString("examples") != null) {
        problems.add(rs.getString("examples"));
      }
      return new Outcome(
          n,
          rs.getLong("processed"),
          rs.getLong("failed"),
          rs.getLong("lost"),
          rs.getLong("duplicated"),
          rs.getLong("stray"),
          rs.getLong("extra_attempts"),
          problems);
    }
  }

  /**
   * Asserts the outcome strictly: every event accounted for, none lost, duplicated or stray, the
   * table counts equal to the expected numbers.
   */
  static void assertHolds(ChaosDatabase db, Outcome o) throws SQLException {
    String detail = o + (o.problems().isEmpty() ? "" : "\nexamples: " + o.problems());
    assertEquals(0, o.lost(), "lost events: " + detail);
    assertEquals(0, o.duplicated(), "duplicated events: " + detail);
    assertEquals(0, o.stray(), "stray rows or events: " + detail);
    assertEquals(0, o.extraAttempts(), "attempts charged for the system's failures: " + detail);
    // Traffic numbers its events by the same rule as Fixtures: odd seq an entry, even a metric,
    // every INVALID_EVERY-th invalid.
    Fixtures.Expected expected =
        Fixtures.expected(Math.toIntExact(o.events()), Traffic.INVALID_EVERY);
    assertEquals(
        o.events(), db.queryLong("SELECT count(*) FROM events"), "events stored: " + detail);
    assertEquals(
        expected.entries() + expected.metrics(), o.processed(), "processed events: " + detail);
    assertEquals(expected.invalid(), o.failed(), "failed events: " + detail);
    assertEquals(
        0, db.queryLong("SELECT count(*) FROM events WHERE status = 'pending'"), "pending events");
    assertEquals(
        expected.entries(), db.queryLong("SELECT count(*) FROM data_entries"), "data_entries rows");
    assertEquals(expected.metrics(), db.queryLong("SELECT count(*) FROM metrics"), "metrics rows");
    assertTrue(o.holds(), detail);
  }

  /**
   * Mid-run, whatever state the queue is in (after a kill, a SIGTERM, an outage): a processed event
   * has its row exactly once, any other event has none, no row belongs to no event, and a pending
   * event was never charged an attempt. Returns the violations, empty when it holds.
   */
  static String nothingHalfDone(ChaosDatabase db) throws SQLException {
    String sql =
        """
        WITH ev AS (
          SELECT status, attempts, CASE WHEN event_type = 'data_entry' THEN 'k-' ELSE 'm-' END || (data->>'seq') AS k
          FROM events),
        {rows}
        SELECT
          count(*) FILTER (WHERE ev.status = 'processed' AND coalesce(r.n, 0) <> 1) AS processed_without_one_row,
          count(*) FILTER (WHERE ev.k IS NOT NULL AND ev.status <> 'processed' AND coalesce(r.n, 0)
            > 0) AS unprocessed_with_rows,
          count(*) FILTER (WHERE ev.k IS NULL) AS rows_without_event,
          count(*) FILTER (WHERE ev.status = 'pending' AND ev.attempts <> 0) AS pending_with_attempts
        FROM ev FULL JOIN r ON r.k = ev.k
        """
            .replace("{rows}", ROWS.strip());
    try (Connection c = db.connect();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      StringBuilder out = new StringBuilder();
      for (String column :
          new String[] {
            "processed_without_one_row",
            "unprocessed_with_rows",
            "rows_without_event",
            "pending_with_attempts"
          }) {
        long v = rs.getLong(column);
        if (v != 0) {
          out.append(column).append('=').append(v).append(' ');
        }
      }
      return out.toString().trim();
    }
  }
}
