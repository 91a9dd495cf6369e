package io.eventworker.queue;

import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Objects;

/**
 * The created_at range of a batch's events, from which a partitioned events (docs/PARTITIONING.md)
 * tells the partitions that can hold them. It is widened by a margin: created_at is read as a time
 * with zone, and read back as a local time, a time in the hour that a clock change skips would come
 * back an hour later.
 */
record CreatedRange(OffsetDateTime from, OffsetDateTime to) {

  private static final Duration MARGIN = Duration.ofHours(3);

  /** The range of {@code createdAt} (nulls left out); unbounded when none is known. */
  static CreatedRange of(List<Instant> createdAt) {
    List<Instant> known = createdAt.stream().filter(Objects::nonNull).sorted().toList();
    if (known.isEmpty()) {
      return new CreatedRange(OffsetDateTime.MIN, OffsetDateTime.MAX);
    }
    return new CreatedRange(
        OffsetDateTime.ofInstant(known.get(0).minus(MARGIN), ZoneOffset.UTC),
        OffsetDateTime.ofInstant(known.get(known.size() - 1).plus(MARGIN), ZoneOffset.UTC));
  }

  /** Binds the two bounds from parameter {@code first} on. */
  void bind(PreparedStatement ps, int first) throws SQLException {
    ps.setObject(first, from);
    ps.setObject(first + 1, to);
  }
}
