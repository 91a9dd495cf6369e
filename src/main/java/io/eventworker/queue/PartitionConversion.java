package io.eventworker.queue;

import io.eventworker.queue.EventPartitions.Range;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.time.LocalDateTime;
import java.util.List;

/**
 * Turns a plain {@code events} table into one partitioned by created_at, in one transaction
 * (docs/PARTITIONING.md). The table becomes the partition of everything before the end of the
 * current interval, without copying a row; a default partition takes rows without a created_at;
 * partitions for the next intervals are made. What the table has (indexes, foreign keys, triggers,
 * storage settings, privileges) is read from the catalog and made again on the parent.
 */
public final class PartitionConversion {

  private static final String NO_STATEMENT_TIMEOUT =
      "SELECT set_config('statement_timeout', '0', true)";

  // What stops a conversion: each row one reason.
  private static final String PROBLEMS =
      """
      SELECT 'events is not a table' FROM pg_class WHERE oid = 'events'::regclass AND relkind <> 'r'
      UNION ALL
      SELECT format('a table named %s exists already', n)
      FROM unnest(ARRAY['events_converted', 'events_default']) AS n WHERE to_regclass(n) IS NOT NULL
      UNION ALL
      SELECT format('foreign key %s of table %s references events (a partitioned table can only be'
             || ' referenced through a unique key that holds created_at)', conname, conrelid::regclass)
      FROM pg_constraint WHERE confrelid = 'events'::regclass AND contype = 'f'
      UNION ALL
      SELECT DISTINCT format('view %s reads events: drop it, convert, and create it again', r.ev_class::regclass)
      FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid
      WHERE d.refobjid = 'events'::regclass AND r.ev_class <> 'events'::regclass
      UNION ALL
      SELECT format('column %s is an identity column: the partitioned table would number anew', attname)
      FROM pg_attribute WHERE attrelid = 'events'::regclass AND attidentity <> ''
      """;

  // The conversion's statements, in order, composed from the catalog as it is before the first
  // runs (the parameter: the interval). Unique indexes become the default partition's, and each
  // later partition's, own: on the parent they would have to hold created_at, which would make
  // them unique only together with the insert time, that is not at all.
  private static final String COMPOSE_CONVERSION =
      """
      WITH b AS (
        SELECT date_bin(step, LOCALTIMESTAMP, timestamp '2000-01-01') + step AS boundary
        FROM (SELECT ?::interval AS step) AS p
      ), t AS (
        SELECT c.oid, c.reloptions, c.relowner, c.relacl FROM pg_class c WHERE c.oid = 'events'::regclass
      ), idx AS (
        SELECT ic.relname AS name, x.indisunique AS uniq,
               substring(pg_get_indexdef(x.indexrelid) FROM ' USING .*$') AS body
        FROM pg_index x JOIN pg_class ic ON ic.oid = x.indexrelid JOIN t ON x.indrelid = t.oid
      ), trig AS (
        SELECT tr.tgname, pg_get_triggerdef(tr.oid) AS def
        FROM pg_trigger tr JOIN t ON tr.tgrelid = t.oid WHERE NOT tr.tgisinternal
      ), grants AS (
        SELECT a.privilege_type AS privilege,
               CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) END AS grantee
        FROM t CROSS JOIN LATERAL aclexplode(t.relacl) AS a WHERE a.grantee <> t.relowner
      ), stmts (ord, sql) AS (
        SELECT 10, 'LOCK TABLE events IN ACCESS EXCLUSIVE MODE'
        UNION ALL SELECT 20, format('DROP TRIGGER %I ON events', tgname) FROM trig
        UNION ALL SELECT 30, 'ALTER TABLE events RENAME TO events_converted'
        UNION ALL SELECT 40, format('ALTER INDEX %I RENAME TO %I', name, left(name, 53) || '_converted') FROM idx WHERE NOT uniq
        UNION ALL SELECT 50, 'CREATE TABLE events (LIKE events_converted INCLUDING ALL EXCLUDING INDEXES) PARTITION BY RANGE (created_at)'
        UNION ALL SELECT 60, format('ALTER SEQUENCE %s OWNED BY events.%I', pg_get_serial_sequence('events', a.attname), a.attname)
          FROM pg_attribute a JOIN t ON a.attrelid = t.oid
          WHERE a.attnum > 0 AND NOT a.attisdropped AND pg_get_serial_sequence('events', a.attname) IS NOT NULL
        UNION ALL SELECT 70, format('CREATE TABLE events_default PARTITION OF events DEFAULT%s',
          coalesce(' WITH (' || array_to_string(reloptions, ', ') || ')', '')) FROM t
        UNION ALL SELECT 80, format('CREATE UNIQUE INDEX %I ON events_default %s', left('events_default_' || name, 63), body) FROM idx WHERE uniq
        UNION ALL SELECT 90, format('WITH moved AS (DELETE FROM events_converted WHERE created_at IS NULL OR created_at >= %L RETURNING *) INSERT INTO events_default SELECT * FROM moved', boundary) FROM b
        UNION ALL SELECT 100, format('ALTER TABLE events ATTACH PARTITION events_converted FOR VALUES FROM (MINVALUE) TO (%L)', boundary) FROM b
        UNION ALL SELECT 110, format('CREATE INDEX %I ON events %s', name, body) FROM idx WHERE NOT uniq
        UNION ALL SELECT 120, format('ALTER TABLE events ADD CONSTRAINT %I %s', co.conname, pg_get_constraintdef(co.oid))
          FROM pg_constraint co JOIN t ON co.conrelid = t.oid WHERE co.contype = 'f'
        UNION ALL SELECT 130, def FROM trig
        UNION ALL SELECT 140, format('GRANT %s ON events, events_default TO %s', privilege, grantee) FROM grants
        UNION ALL SELECT 150, format('ALTER TABLE %I OWNER TO %I', n, pg_get_userbyid(relowner))
          FROM t CROSS JOIN unnest(ARRAY['events', 'events_default']) AS n WHERE relowner <> (SELECT oid FROM pg_roles WHERE rolname = current_user)
        UNION ALL SELECT 160, format('COMMENT ON TABLE events IS %L', obj_description(oid, 'pg_class')) FROM t WHERE obj_description(oid, 'pg_class') IS NOT NULL
      )
      SELECT sql FROM stmts ORDER BY ord
      """;

  private final EventPartitions partitions = new EventPartitions();
  private final EventMaintenance maintenance = new EventMaintenance();

  /**
   * Converts {@code events}, partitions of {@code interval} each; commits. Returns the partitions
   * created, or an empty list if it is partitioned already. Throws {@link InvalidInputException}
   * when something in the schema stops the conversion, naming it; nothing has changed then.
   */
  public List<Range> convert(Connection c, Duration interval, Duration lockTimeout)
      throws SQLException, InvalidInputException {
    c.setAutoCommit(false);
    try {
      if (partitions.isPartitioned(c)) {
        c.rollback();
        return List.of();
      }
      List<String> problems = ComposedStatements.compose(c, PROBLEMS);
      if (!problems.isEmpty()) {
        throw new InvalidInputException("cannot partition events: " + String.join("; ", problems));
      }
      // The lock wait is bounded, the statements are not: attaching the table reads it whole.
      // (No partition exists yet, so no upkeep holds the upkeep lock that this also takes.)
      partitions.lockUpkeep(c, lockTimeout);
      try (PreparedStatement ps = c.prepareStatement(NO_STATEMENT_TIMEOUT)) {
        ps.executeQuery().close();
      }
      ComposedStatements.run(c, COMPOSE_CONVERSION, interval.toSeconds() + " seconds");
      Range converted = partitions.ranges(c).get(0);
      LocalDateTime horizon = maintenance.now(c).plus(interval.multipliedBy(EventPartitions.AHEAD));
      for (LocalDateTime lo = converted.upper(); lo.isBefore(horizon); lo = lo.plus(interval)) {
        partitions.create(c, lo, lo.plus(interval));
      }
      List<Range> made = partitions.ranges(c);
      c.commit();
      return made;
    } catch (SQLException | RuntimeException | InvalidInputException e) {
      c.rollback();
      throw e;
    }
  }
}
