package io.eventworker.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.eventworker.config.ConfigException;
import io.eventworker.config.WorkerConfig;
import io.eventworker.testing.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Every DB_TIMEZONE the configuration accepts, PostgreSQL takes, and fixed offsets with the same
 * sign.
 */
@Tag("database")
class TimeZoneNamesTest {

  @RegisterExtension final TestDatabase db = TestDatabase.empty();

  @Test
  void everyAcceptedZoneIsPostgresqlsWithTheSameOffset() throws Exception {
    List<String> accepted = new ArrayList<>();
    for (String zone : ZoneId.getAvailableZoneIds()) {
      try {
        accepted.add(WorkerConfig.fromEnvironment(Map.of("DB_TIMEZONE", zone)).dbTimeZone());
      } catch (ConfigException refused) {
        // Refused names are the configuration test's business.
      }
    }
    assertTrue(accepted.size() > 500, accepted.size() + " zones accepted");
    assertTrue(accepted.contains("Etc/GMT-5"));
    Instant now = Instant.now();
    try (Connection c = db.connect();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT set_config('TimeZone', ?, false), extract(timezone FROM"
                    + " ?::timestamptz)::int")) {
      for (String zone : accepted) {
        ps.setString(1, zone);
        ps.setObject(2, java.time.OffsetDateTime.ofInstant(now, java.time.ZoneOffset.UTC));
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          // The fixed zones, whose offsets no tz database update moves, must agree in sign too.
          if (ZoneId.of(zone).getRules().isFixedOffset()) {
            assertEquals(
                ZoneId.of(zone).getRules().getOffset(now).getTotalSeconds(), rs.getInt(2), zone);
          }
        }
      }
    }
  }
}
