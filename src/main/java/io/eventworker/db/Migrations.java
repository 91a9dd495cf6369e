package io.eventworker.db;

import java.util.Arrays;
import java.util.stream.Collectors;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.configuration.FluentConfiguration;
import org.flywaydb.core.api.output.MigrateResult;
import org.flywaydb.database.postgresql.PostgreSQLConfigurationExtension;

/**
 * The schema's versions, applied by Flyway: migration 1 is the seed's init.sql, later ones are the
 * worker's own (SQL files under {@code io/eventworker/db/migration}).
 */
public final class Migrations {

  private final Flyway flyway;

  public Migrations(DataSource dataSource) {
    FluentConfiguration config =
        Flyway.configure()
            .dataSource(dataSource)
            .locations("classpath:io/eventworker/db/migration")
            .javaMigrations(new V1__Seed_schema())
            // A database made by init.sql has the seed's tables but no history yet: record it as
            // version 1 and apply only what comes after.
            .baselineOnMigrate(true)
            .baselineVersion("1")
            .baselineDescription("seed schema from database/init.sql")
            .cleanDisabled(true);
    // Flyway's default lock keeps a transaction open for the whole run, and CREATE INDEX
    // CONCURRENTLY waits for every open transaction: it would wait for Flyway forever. A
    // session-level lock serialises concurrent migrate runs just as well.
    config.getConfigurationExtension(PostgreSQLConfigurationExtension.class).setTransactionalLock(false);
    this.flyway = config.load();
  }

  /** Applies what is missing; running it again changes nothing. */
  public MigrateResult migrate() {
    return flyway.migrate();
  }

  /**
   * Describes the migrations a database still lacks, or returns null when it is current. Used by
   * {@code run}, which must not start against a schema it does not know.
   */
  public String pendingDescription() {
    MigrationInfo[] pending = flyway.info().pending();
    if (pending.length == 0) {
      return null;
    }
    return Arrays.stream(pending)
        .map(m -> m.getVersion() + " (" + m.getDescription() + ")")
        .collect(Collectors.joining(", "));
  }
}
