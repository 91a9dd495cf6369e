package io.eventworker.queue;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Every statement the worker runs on {@code events}. Callers own the transaction. */
public final class EventRepository {

  /** The notification channel of the insert trigger (migration 2). */
  public static final String CHANNEL = "events_inserted";

  private static final int MAX_ERROR_LENGTH = 2000;

  // The statements that complete a batch, by their WITH clauses (see complete).
  private final Map<List<String>, String> completions = new ConcurrentHashMap<>();

  // Locks the rows it returns until commit; rows locked by other workers are skipped, not waited
  // for. One type at a time: the predicate and order are a range of idx_events_claim. The columns
  // are ClaimedRows's, which leave out payloads that may be large.
  private static final String CLAIM =
      ClaimedRows.around(
          """
          SELECT id, event_type, user_id, data, created_at, attempts, run_at
          FROM events
          WHERE status = 'pending' AND event_type = ? AND run_at <= now()
          ORDER BY run_at, id
          LIMIT ?
          FOR UPDATE SKIP LOCKED
          """);

  // Past the last claim: skips the index entries of events already processed, which stay until
  // vacuum removes them (and while a long transaction holds its snapshot, vacuum cannot).
  private static final String CLAIM_AFTER =
      ClaimedRows.around(
          """
          SELECT id, event_type, user_id, data, created_at, attempts, run_at
          FROM events
          WHERE status = 'pending' AND event_type = ? AND run_at <= now() AND (run_at, id) > (?, ?)
          ORDER BY run_at, id
          LIMIT ?
          FOR UPDATE SKIP LOCKED
          """);

  // Re-claims given events, to process them again after their batch was rejected. Only those
  // still due: between the rollback and this claim, another worker may have claimed one and put
  // it back to wait out a retry's backoff, which this claim must not cut short.
  private static final String CLAIM_IDS =
      ClaimedRows.around(
          """
          SELECT id, event_type, user_id, data, created_at, attempts, run_at
          FROM events
          WHERE id = ANY (?) AND status = 'pending' AND run_at <= now()
          ORDER BY run_at, id
          FOR UPDATE SKIP LOCKED
          """);

  // The batch's created_at range (CreatedRange) lets a partitioned events look in the partitions
  // that hold the batch only; on the plain table it is a filter. A row that falls outside it all
  // the same is marked by MARK_PROCESSED_REST.
  private static final String MARK_PROCESSED =
      """
      UPDATE events
      SET status = 'processed', processed_at = CURRENT_TIMESTAMP, attempts = attempts + 1
      WHERE id = ANY (?) AND (created_at IS NULL
        OR created_at BETWEEN ?::timestamptz::timestamp AND ?::timestamptz::timestamp)
      """;

  private static final String MARK_PROCESSED_REST =
      """
      UPDATE events
      SET status = 'processed', processed_at = CURRENT_TIMESTAMP, attempts = attempts + 1
      WHERE id = ANY (?) AND status = 'pending'
      """;

  // Retried events go back to pending with a later run_at; the others become failed, with
  // processed_at saying when the worker gave up on them. A WITH clause of MARK_PROCESSED, on
  // other rows of events than it updates. The backoff counts from this statement's start, not the
  // transaction's (now()): a batch written one event at a time after a timeout has lasted
  // DB_STATEMENT_TIMEOUT and more when it records its failures, in a statement of their own.
  // (Where the statement also writes the batch's rows, a write slow by seconds still shortens the
  // backoff by as much: PostgreSQL runs the inserts after this clause.)
  private static final String RECORD_FAILURES =
      """
      UPDATE events AS e
      SET status = f.status,
          attempts = e.attempts + 1,
          last_error = f.error,
          run_at = statement_timestamp() + f.delay_ms * interval '1 millisecond',
          processed_at = CASE WHEN f.status = 'failed' THEN CURRENT_TIMESTAMP ELSE e.processed_at END
      FROM unnest(?::int8[], ?::text[], ?::text[], ?::int8[]) AS f (id, status, error, delay_ms)
      WHERE e.id = f.id
      """;

  // Locks a pending event without reading its payload, unless another worker holds it or it is
  // waiting out a retry's backoff (as for CLAIM_IDS).
  private static final String HOLD_PENDING =
      """
      SELECT event_type, attempts FROM events
      WHERE id = ? AND status = 'pending' AND run_at <= now()
      FOR UPDATE SKIP LOCKED
      """;

  // The first scheduled event of a type: the start of the claim index's range past now(), one
  // index probe. Asked after a claim came back short, so that an idle thread wakes when it is due.
  private static final String NEXT_DUE =
      """
      SELECT extract(epoch FROM min(run_at) - now()) * 1e9
      FROM events
      WHERE status = 'pending' AND event_type = ? AND run_at > now()
      """;

  /** A place in the claim order of one type. */
  public record Position(OffsetDateTime runAt, long id) {}

  /**
   * Claimed events, the position of the last one (null when none), and how long the locking query
   * took: what a claim costs to walk the queue, the reading of large payloads left out.
   */
  public record Claimed(List<ClaimedEvent> events, Position last, long lockingNanos) {}

  /**
   * Claims up to {@code limit} due pending events of {@code type}, oldest due first; only those
   * past {@code after} unless it is null. Large payloads are read in one more query while the
   * {@code budget} has room; the claim stops before the first it has none for.
   */
  public Claimed claim(Connection c, String type, int limit, Position after, PayloadBudget budget)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(after == null ? CLAIM : CLAIM_AFTER)) {
      int i = 1;
      ps.setString(i++, type);
      if (after != null) {
        ps.setObject(i++, after.runAt());
        ps.setLong(i++, after.id());
      }
      ps.setInt(i, limit);
      return ClaimedRows.read(c, ps, limit, budget);
    }
  }

  /**
   * How long until the next pending event of {@code type} falls due, in nanoseconds from the
   * transaction's start; -1 if none is scheduled.
   */
  public long nanosUntilNextDue(Connection c, String type) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(NEXT_DUE)) {
      ps.setString(1, type);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        double nanos = rs.getDouble(1);
        return rs.wasNull() ? -1 : (long) nanos;
      }
    }
  }

  /** Claims the given events if they are still pending and due, and nobody else holds them. */
  public List<ClaimedEvent> claimIds(Connection c, List<Long> ids, PayloadBudget budget)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(CLAIM_IDS)) {
      ps.setArray(1, c.createArrayOf("int8", ids.toArray()));
      return ClaimedRows.read(c, ps, ids.size(), budget).events();
    }
  }

  /**
   * Completes a batch in one statement, one round trip: writes {@code rows}, marks the events
   * {@code processed} processed now, and records the {@code failures} (each retried later or
   * failed, with its error). The inserts and the failures are data-modifying WITH clauses of the
   * UPDATE that marks the processed events.
   */
  public void complete(
      Connection c, List<Long> processed, List<RowBatch> rows, List<Failure> failures)
      throws SQLException {
    complete(c, processed, List.of(), rows, failures);
  }

  /** As above, with the processed events' created_at (null where it is), to find them sooner. */
  public void complete(
      Connection c,
      List<Long> processed,
      List<Instant> createdAt,
      List<RowBatch> rows,
      List<Failure> failures)
      throws SQLException {
    if (processed.isEmpty() && failures.isEmpty()) {
      return;
    }
    try (PreparedStatement ps = c.prepareStatement(completion(rows, !failures.isEmpty()))) {
      int next = 1;
      for (RowBatch batch : rows) {
        next = batch.bind(ps, next);
      }
      if (!failures.isEmpty()) {
        next = bindFailures(c, ps, next, failures);
      }
      Array ids = c.createArrayOf("int8", processed.toArray());
      ps.setArray(next, ids);
      CreatedRange.of(createdAt).bind(ps, next + 1);
      if (ps.executeUpdate() < processed.size()) {
        try (PreparedStatement rest = c.prepareStatement(MARK_PROCESSED_REST)) {
          rest.setArray(1, ids);
          rest.executeUpdate();
        }
      }
    }
  }

  /**
   * Writes {@code rows} on their own, one statement per table, apart from the statement that
   * completes their events: for a batch that looks, behind savepoints, for the events whose rows
   * the database refuses.
   */
  public void insertRows(Connection c, List<RowBatch> rows) throws SQLException {
    for (RowBatch batch : rows) {
      batch.insert(c);
    }
  }

  private String completion(List<RowBatch> rows, boolean withFailures) {
    List<String> clauses = new ArrayList<>(rows.size() + 1);
    rows.forEach(batch -> clauses.add(batch.target().sql()));
    if (withFailures) {
      clauses.add(RECORD_FAILURES);
    }
    if (clauses.isEmpty()) {
      return MARK_PROCESSED;
    }
    return completions.computeIfAbsent(
        clauses,
        cs -> {
          StringBuilder sql = new StringBuilder("WITH ");
          for (int i = 0; i < cs.size(); i++) {
            sql.append(i == 0 ? "" : ",\n     ")
                .append("step_")
                .append(i)
                .append(" AS (")
                .append(cs.get(i))
                .append(")");
          }
          return sql.append('\n').append(MARK_PROCESSED).toString();
        });
  }

  private static int bindFailures(
      Connection c, PreparedStatement ps, int first, List<Failure> failures) throws SQLException {
    int n = failures.size();
    Object[] ids = new Object[n];
    Object[] statuses = new Object[n];
    Object[] errors = new Object[n];
    Object[] delays = new Object[n];
    for (int i = 0; i < n; i++) {
      Failure f = failures.get(i);
      ids[i] = f.eventId();
      statuses[i] = f.retryDelayMillis() < 0 ? "failed" : "pending";
      errors[i] = printable(f.error());
      delays[i] = Math.max(0, f.retryDelayMillis());
    }
    ps.setArray(first, c.createArrayOf("int8", ids));
    ps.setArray(first + 1, c.createArrayOf("text", statuses));
    ps.setArray(first + 2, c.createArrayOf("text", errors));
    ps.setArray(first + 3, c.createArrayOf("int8", delays));
    return first + 4;
  }

  /**
   * Locks event {@code id}, without reading its payload, if it is pending and due and nobody else
   * holds it; returns its type and attempts so far, or null if not.
   */
  public Held holdPending(Connection c, long id) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(HOLD_PENDING)) {
      ps.setLong(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? new Held(rs.getString(1), rs.getInt(2)) : null;
      }
    }
  }

  /** A pending event held by {@link #holdPending}: its type and the attempts made so far. */
  public record Held(String type, int attempts) {}

  /** Keeps an error storable: PostgreSQL text cannot hold NUL, and a page of text is enough. */
  public static String printable(String error) {
    String text = error == null ? "unknown error" : error.replace('\0', ' ');
    return text.length() <= MAX_ERROR_LENGTH ? text : text.substring(0, MAX_ERROR_LENGTH) + "...";
  }

  /** A failed attempt; a negative delay means no retry: the event becomes failed. */
  public record Failure(long eventId, String error, long retryDelayMillis) {}
}
