package io.eventworker.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.eventworker.handler.Event;
import io.eventworker.handler.EventHandler;
import io.eventworker.handler.Rows;
import io.eventworker.testing.TestDatabase;
import io.eventworker.worker.Handlers;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A handler that declares where its tables' migrations live has them applied by {@code migrate}.
 */
@Tag("database")
class HandlerMigrationsTest {

  @RegisterExtension final TestDatabase empty = TestDatabase.empty();
  @RegisterExtension final TestDatabase migrated = TestDatabase.migrated();

  /** A handler of page_view whose table, page_views, comes with it. */
  private static final EventHandler PAGE_VIEWS =
      new EventHandler() {
        @Override
        public String eventType() {
          return "page_view";
        }

        @Override
        public void handle(Event event, Rows rows) {}

        @Override
        public List<String> migrationLocations() {
          return List.of("classpath:db/handlers/test_page_view");
        }
      };

  private static final Map<String, List<String>> LOCATIONS =
      Handlers.of(List.of(PAGE_VIEWS)).migrationLocations();

  @Test
  void handlersDeclareTheirMigrationLocationsByEventType() {
    assertEquals(Map.of("page_view", List.of("classpath:db/handlers/test_page_view")), LOCATIONS);
  }

  @Test
  void migrateCreatesAHandlersTablesAfterTheWorkersOwnAndThenChangesNothing() throws Exception {
    Migrations migrations = new Migrations(empty.dataSource(), LOCATIONS);
    String pending = migrations.pendingDescription();
    assertTrue(
        pending.startsWith("1 (") && pending.endsWith(", page_view 1 (page views)"), pending);

    assertEquals("8", migrations.migrate().targetSchemaVersion);
    assertNull(migrations.pendingDescription());
    assertEquals(0, empty.queryLong("SELECT count(*) FROM page_views"));
    assertEquals(
        1,
        empty.queryLong(
            "SELECT count(*) FROM flyway_schema_history_page_view WHERE version = '1' AND"
                + " success"));

    assertEquals(0, migrations.migrate().migrationsExecuted);
    assertEquals(
        9, empty.queryLong("SELECT count(*) FROM flyway_schema_history WHERE version IS NOT NULL"));
    assertEquals(2, empty.queryLong("SELECT count(*) FROM flyway_schema_history_page_view"));
  }

  @Test
  void aDatabaseWithTheWorkersSchemaLacksOnlyTheHandlersMigrationUntilMigrated() throws Exception {
    Migrations migrations = new Migrations(migrated.dataSource(), LOCATIONS);
    assertEquals("page_view 1 (page views)", migrations.pendingDescription());
    migrations.migrate();
    assertNull(migrations.pendingDescription());
    migrated.execute("INSERT INTO page_views (path) VALUES ('/home')");
    assertEquals(1, migrated.queryLong("SELECT count(*) FROM page_views"));
  }

  @Test
  void aHistoryTableIsNamedAfterTheEventTypeAsAPlainIdentifier() {
    assertEquals("flyway_schema_history_page_view", Migrations.historyTable("page_view"));
    assertEquals("flyway_schema_history_orders_v2", Migrations.historyTable("Orders.v2"));
    assertEquals(63, Migrations.historyTable("x".repeat(100)).length());
  }
}
