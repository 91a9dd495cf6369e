package io.eventworker.queue;

import io.eventworker.queue.EventRepository.Claimed;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.List;

/**
 * The claims of ordered event types (ORDERED_EVENT_TYPES, docs/ORDERING.md): one user's events of
 * such a type are claimed only from that user's oldest pending event on, in id order, by one
 * transaction at a time. Their statements walk idx_events_ordered (built by migrate); the claims of
 * other types are EventRepository's, untouched.
 */
public final class OrderedClaims {

  // Users with pending events of the type, from one user id to another (a skip scan: one index
  // probe per user, however long each user's backlog). For each user, the head, the oldest
  // pending event, is locked first, if it is due and nobody holds it; a user whose head is not
  // due (waiting out a retry's backoff, or scheduled) or held elsewhere is passed over at once.
  // Then the head and the user's next pending events, in id order, are locked with SKIP LOCKED.
  // Each step is a LATERAL subquery of the one before (those that lock cannot be flattened), so
  // the plan walks users, heads and runs in this order, lazily, up to the LIMIT. Rows are locked
  // by the ctid the index gave (a TID scan, whatever the statistics say: by id, the planner may
  // walk the whole of a partial index it believes empty after a quiet spell); a row updated since
  // is followed to its latest version and re-checked, as by id.
  // Only the unbroken run from the head is kept (pos, the place in the user's queue, equals n,
  // the place among the rows locked): an event locked elsewhere, not due, or changed since this
  // statement's snapshot (re-checked on the latest version, which may say processed) ends the run.
  // So a user's events are never taken past one that is not taken, and another transaction cannot
  // hold the user's head at the same time.
  private static final String CLAIM_USERS =
      ClaimedRows.around(
          """
          SELECT id, event_type, user_id, data, created_at, attempts, run_at
          FROM (SELECT l.*, row_number() OVER (PARTITION BY l.user_id ORDER BY l.id) AS n
                FROM (WITH RECURSIVE pending_users (user_id) AS (
                          (SELECT user_id FROM events
                           WHERE status = 'pending' AND event_type = ? AND user_id BETWEEN ? AND ?
                           ORDER BY user_id LIMIT 1)
                        UNION ALL
                          SELECT (SELECT e.user_id FROM events e
                                  WHERE e.status = 'pending' AND e.event_type = ?
                                    AND e.user_id > u.user_id AND e.user_id <= ?
                                  ORDER BY e.user_id LIMIT 1)
                          FROM pending_users u
                          WHERE u.user_id IS NOT NULL)
                      SELECT f.*, r.pos
                      FROM pending_users u
                      CROSS JOIN LATERAL (
                          SELECT h.id, h.ctid FROM events h
                          WHERE h.status = 'pending' AND h.event_type = ? AND h.user_id = u.user_id
                          ORDER BY h.id LIMIT 1) AS head
                      CROSS JOIN LATERAL (
                          SELECT x.id FROM events x
                          WHERE x.ctid = head.ctid AND x.status = 'pending' AND x.run_at <= now()
                          FOR UPDATE SKIP LOCKED) AS held
                      CROSS JOIN LATERAL (
                          SELECT s.id, s.ctid, row_number() OVER (ORDER BY s.id) AS pos
                          FROM (SELECT q.id, q.ctid FROM events q
                                WHERE q.status = 'pending' AND q.event_type = ?
                                  AND q.user_id = u.user_id
                                  AND (q.event_type, q.user_id, q.id) >= (?, u.user_id, held.id)
                                ORDER BY q.event_type, q.user_id, q.id
                                LIMIT ?) AS s) AS r
                      CROSS JOIN LATERAL (
                          SELECT f.id, f.event_type, f.user_id, f.data, f.created_at, f.attempts,
                                 f.run_at
                          FROM events f
                          WHERE f.ctid = r.ctid AND f.status = 'pending' AND f.run_at <= now()
                          FOR UPDATE SKIP LOCKED) AS f
                      WHERE u.user_id IS NOT NULL
                      LIMIT ?) AS l) AS runs
          WHERE n = pos
          ORDER BY user_id, id
          """);

  // Events of the type with no user: no order to keep, claimed like any type's but through
  // idx_events_ordered's range of NULLs, in id order.
  private static final String CLAIM_NO_USER =
      ClaimedRows.around(
          """
          SELECT id, event_type, user_id, data, created_at, attempts, run_at
          FROM events
          WHERE status = 'pending' AND event_type = ? AND user_id IS NULL AND run_at <= now()
          ORDER BY user_id, id
          LIMIT ?
          FOR UPDATE SKIP LOCKED
          """);

  // EventRepository's CLAIM_IDS, for a worker with ordered types: an event of an ordered type
  // is kept only if every pending event of its user before it is one this statement locked too.
  // Its user's earlier events may have been claimed by another transaction, or be waiting out a
  // retry, since the batch it is claimed again for rolled back. The events locked and not kept
  // stay pending, untouched. In id order, which is each user's order.
  private static final String CLAIM_IDS =
      ClaimedRows.around(
          """
          SELECT id, event_type, user_id, data, created_at, attempts, run_at
          FROM (WITH locked AS MATERIALIZED (
                    SELECT id, event_type, user_id, data, created_at, attempts, run_at
                    FROM events
                    WHERE id = ANY (?) AND status = 'pending' AND run_at <= now()
                    FOR UPDATE SKIP LOCKED)
                SELECT * FROM locked l
                WHERE l.user_id IS NULL OR l.event_type <> ALL (?)
                   OR NOT EXISTS (
                        SELECT 1 FROM events p
                        WHERE p.status = 'pending' AND p.event_type = l.event_type
                          AND p.user_id = l.user_id AND p.id < l.id
                          AND p.id NOT IN (SELECT id FROM locked))) AS kept
          ORDER BY id
          """);

  // Whether idx_events_ordered exists and is valid (a CONCURRENTLY build cut short leaves it
  // invalid). Only a deployment that orders a type has it: it costs every INSERT an entry.
  private static final String INDEX_READY =
      """
      SELECT coalesce((SELECT indisvalid FROM pg_index
                       WHERE indexrelid = to_regclass(?)), false)
      """;

  /** The index the claims of ordered types walk, built by {@code migrate} when they are set. */
  public static final String INDEX = "idx_events_ordered";

  // CONCURRENTLY, as migration 3: producers keep inserting while it builds. Dropped first when
  // invalid, so that a build cut short is redone by running migrate again.
  private static final String DROP_INDEX = "DROP INDEX CONCURRENTLY IF EXISTS idx_events_ordered";
  private static final String CREATE_INDEX =
      """
      CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_events_ordered
      ON events (event_type, user_id, id) WHERE status = 'pending'
      """;

  // A partitioned events (docs/PARTITIONING.md) cannot build or drop an index CONCURRENTLY: there
  // the build holds producers' inserts until it ends.
  private static final String PARTITIONED =
      "SELECT relkind = 'p' FROM pg_class WHERE oid = 'events'::regclass";
  private static final String DROP_PARTITIONED_INDEX = "DROP INDEX IF EXISTS idx_events_ordered";
  private static final String CREATE_PARTITIONED_INDEX =
      """
      CREATE INDEX IF NOT EXISTS idx_events_ordered
      ON events (event_type, user_id, id) WHERE status = 'pending'
      """;

  /**
   * Builds {@link #INDEX} unless it is there and valid, on an auto-commit connection (CONCURRENTLY
   * cannot run in a transaction); returns whether it built it.
   */
  public static boolean buildIndex(Connection c) throws SQLException {
    if (indexReady(c)) {
      return false;
    }
    try (java.sql.Statement s = c.createStatement()) {
      boolean partitioned;
      try (java.sql.ResultSet rs = s.executeQuery(PARTITIONED)) {
        partitioned = rs.next() && rs.getBoolean(1);
      }
      if (partitioned) {
        s.execute(DROP_PARTITIONED_INDEX);
        s.execute(CREATE_PARTITIONED_INDEX);
      } else {
        s.execute(DROP_INDEX);
        s.execute(CREATE_INDEX);
      }
    }
    return true;
  }

  /** Whether {@link #INDEX} is there to be walked. */
  public static boolean indexReady(Connection c) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(INDEX_READY)) {
      ps.setString(1, INDEX);
      try (java.sql.ResultSet rs = ps.executeQuery()) {
        return rs.next() && rs.getBoolean(1);
      }
    }
  }

  /**
   * Claims up to {@code limit} events of the ordered {@code type} from the users with ids from
   * {@code fromUser} to {@code toUser}, one user after another by id: each user's run of due events
   * from its oldest pending one on, in id order, as far as the budget has room.
   */
  public Claimed claimUsers(
      Connection c, String type, int fromUser, int toUser, int limit, PayloadBudget budget)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(CLAIM_USERS)) {
      ps.setString(1, type);
      ps.setInt(2, fromUser);
      ps.setInt(3, toUser);
      ps.setString(4, type);
      ps.setInt(5, toUser);
      ps.setString(6, type);
      ps.setString(7, type);
      ps.setString(8, type);
      ps.setInt(9, limit);
      ps.setInt(10, limit);
      return ClaimedRows.read(c, ps, limit, budget);
    }
  }

  /** Claims up to {@code limit} due events of {@code type} that have no user, by id. */
  public Claimed claimWithoutUser(Connection c, String type, int limit, PayloadBudget budget)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(CLAIM_NO_USER)) {
      ps.setString(1, type);
      ps.setInt(2, limit);
      return ClaimedRows.read(c, ps, limit, budget);
    }
  }

  /**
   * Claims the given events as {@link EventRepository#claimIds} does, except an event of one of the
   * {@code ordered} types whose user has an earlier pending event outside this claim.
   */
  public List<ClaimedEvent> claimIds(
      Connection c, List<Long> ids, String[] ordered, PayloadBudget budget) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(CLAIM_IDS)) {
      ps.setArray(1, c.createArrayOf("int8", ids.toArray()));
      ps.setArray(2, c.createArrayOf("text", ordered));
      return ClaimedRows.read(c, ps, ids.size(), budget).events();
    }
  }
}
