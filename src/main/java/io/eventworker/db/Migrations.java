package io.eventworker.db;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.configuration.FluentConfiguration;
import org.flywaydb.core.api.output.MigrateResult;
import org.flywaydb.database.postgresql.PostgreSQLConfigurationExtension;

/**
 * The schema's versions, applied by Flyway: migration 1 is the original description's init.sql,
 * later ones are the worker's own (SQL files under {@code io/eventworker/db/migration}). Then those
 * of the handlers that declare migrations for their own tables: each handler's in a history of its
 * own, so that handlers number their versions independently of the worker and of each other.
 */
public final class Migrations {

  private static final String HANDLER_HISTORY = "flyway_schema_history_";
  // PostgreSQL's identifier limit, which a history table's name must keep to.
  private static final int MAX_IDENTIFIER = 63;

  private final Flyway flyway;
  // By event type.
  private final Map<String, Flyway> handlerFlyways = new TreeMap<>();

  /** The worker's own migrations only. */
  public Migrations(DataSource dataSource) {
    this(dataSource, Map.of());
  }

  /**
   * The worker's migrations, then each handler's: {@code handlerLocations} gives, by event type,
   * the Flyway locations of a handler's migrations.
   */
  public Migrations(DataSource dataSource, Map<String, List<String>> handlerLocations) {
    FluentConfiguration config =
        Flyway.configure()
            .dataSource(dataSource)
            .locations("classpath:io/eventworker/db/migration")
            .javaMigrations(new V1__Seed_schema())
            // A database made by init.sql has the original description's tables but no history yet:
            // record it as
            // version 1 and apply only what comes after.
            .baselineOnMigrate(true)
            .baselineVersion("1")
            .baselineDescription("seed schema from database/init.sql")
            .cleanDisabled(true);
    // Flyway's default lock keeps a transaction open for the whole run, and CREATE INDEX
    // CONCURRENTLY waits for every open transaction: it would wait for Flyway forever. A
    // session-level lock serialises concurrent migrate runs just as well.
    config
        .getConfigurationExtension(PostgreSQLConfigurationExtension.class)
        .setTransactionalLock(false);
    this.flyway = config.load();
    handlerLocations.forEach(
        (type, locations) -> {
          if (!locations.isEmpty()) {
            handlerFlyways.put(type, handlerFlyway(dataSource, type, locations));
          }
        });
  }

  private static Flyway handlerFlyway(DataSource dataSource, String type, List<String> locations) {
    FluentConfiguration config =
        Flyway.configure()
            .dataSource(dataSource)
            .locations(locations.toArray(String[]::new))
            .table(historyTable(type))
            // The schema holds the worker's tables already: a handler's history starts below its
            // first version.
            .baselineOnMigrate(true)
            .baselineVersion("0")
            .baselineDescription("before the migrations of the " + type + " handler")
            .cleanDisabled(true);
    config
        .getConfigurationExtension(PostgreSQLConfigurationExtension.class)
        .setTransactionalLock(false);
    return config.load();
  }

  /** The history table of the handler of {@code type}: its name made a plain identifier. */
  static String historyTable(String type) {
    String name = HANDLER_HISTORY + type.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]", "_");
    return name.length() <= MAX_IDENTIFIER ? name : name.substring(0, MAX_IDENTIFIER);
  }

  /**
   * Applies what is missing, the worker's migrations first, then each handler's; running it again
   * changes nothing. Returns what the worker's own did.
   */
  public MigrateResult migrate() {
    MigrateResult result = flyway.migrate();
    handlerFlyways.values().forEach(Flyway::migrate);
    return result;
  }

  /**
   * Describes the migrations a database still lacks, or returns null when it is current. Used by
   * {@code run}, which must not start against a schema it does not know.
   */
  public String pendingDescription() {
    List<String> pending = new ArrayList<>();
    describe(flyway.info().pending(), "").forEach(pending::add);
    handlerFlyways.forEach(
        (type, handler) -> describe(handler.info().pending(), type + " ").forEach(pending::add));
    return pending.isEmpty() ? null : String.join(", ", pending);
  }

  private static List<String> describe(MigrationInfo[] pending, String prefix) {
    return Arrays.stream(pending)
        .map(m -> prefix + m.getVersion() + " (" + m.getDescription() + ")")
        .collect(Collectors.toList());
  }
}
