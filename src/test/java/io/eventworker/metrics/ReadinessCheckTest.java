package io.eventworker.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.eventworker.testing.TestDatabase;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.postgresql.ds.PGSimpleDataSource;

@Tag("database")
class ReadinessCheckTest {

  @RegisterExtension final TestDatabase db = TestDatabase.empty();

  @Test
  void isReadyTheMomentTheLoopRunsThoughTheDatabaseAnswerIsKept() {
    AtomicReference<String> loop = new AtomicReference<>("starting");
    ReadinessCheck check = new ReadinessCheck(db.dataSource(), loop::get);
    assertEquals("starting", check.get());
    // Within the second the database's answer is kept: a replica that started its loop must not
    // report "starting" for up to a second more (a warm one drains thousands of events in that).
    loop.set(null);
    assertNull(check.get());
    loop.set("shutting down");
    assertEquals("shutting down", check.get());
  }

  @Test
  void aDatabaseThatDoesNotAnswerComesBeforeTheLoopsState() {
    PGSimpleDataSource nowhere = db.dataSource();
    nowhere.setPortNumbers(new int[] {1});
    nowhere.setConnectTimeout(1);
    ReadinessCheck check = new ReadinessCheck(nowhere, () -> null);
    String answer = check.get();
    assertTrue(answer != null && answer.startsWith("database: "), answer);
  }
}
