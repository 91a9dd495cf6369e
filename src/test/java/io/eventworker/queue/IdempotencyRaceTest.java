package io.eventworker.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.eventworker.testing.TestDatabase;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Producers racing the same idempotency keys, each on its own connection. */
@Tag("database")
class IdempotencyRaceTest {

  private static final int PRODUCERS = 8;
  private static final int KEYS = 300;

  @RegisterExtension final TestDatabase db = TestDatabase.migrated();

  @Test
  void singleInsertsStoreEachKeyOnceAndTheLosersSeeItSkipped() throws Exception {
    CyclicBarrier start = new CyclicBarrier(PRODUCERS);
    List<Future<List<Boolean>>> producers = new ArrayList<>();
    ExecutorService pool = Executors.newFixedThreadPool(PRODUCERS);
    try {
      for (int p = 0; p < PRODUCERS; p++) {
        int seed = p;
        producers.add(
            pool.submit(
                () -> {
                  List<Integer> order = shuffledKeys(seed);
                  List<Boolean> stored = new ArrayList<>(Collections.nCopies(KEYS, false));
                  try (Connection c = db.connect()) {
                    start.await();
                    for (int k : order) {
                      NewEvent e =
                          NewEvent.of("metric", null, "{\"producer\":" + seed + "}")
                              .withIdempotencyKey("key-" + k, "key");
                      EventInserts.Inserted r = new EventInserts().insert(c, e, Duration.ZERO);
                      assertFalse(r.id() == 0, "a skipped key names the stored event");
                      stored.set(k, r.stored());
                    }
                  }
                  return stored;
                }));
      }
      int[] winners = new int[KEYS];
      long skipped = 0;
      for (Future<List<Boolean>> f : producers) {
        List<Boolean> stored = f.get();
        for (int k = 0; k < KEYS; k++) {
          winners[k] += stored.get(k) ? 1 : 0;
          skipped += stored.get(k) ? 0 : 1;
        }
      }
      for (int k = 0; k < KEYS; k++) {
        assertEquals(1, winners[k], "producers that stored key-" + k);
      }
      assertEquals((long) (PRODUCERS - 1) * KEYS, skipped);
    } finally {
      pool.shutdownNow();
    }
    assertEquals(KEYS, db.queryLong("SELECT count(*) FROM events"));
    assertEquals(KEYS, db.queryLong("SELECT count(DISTINCT idempotency_key) FROM events"));
  }

  @Test
  void fileLoadsRacingTheSameKeysStoreEachOnce() throws Exception {
    StringBuilder file = new StringBuilder();
    for (int k = 0; k < KEYS; k++) {
      // Every other line without a key: those are stored by every load.
      file.append("{\"event_type\":\"metric\",\"data\":{}}\n");
      file.append("{\"event_type\":\"metric\",\"data\":{},\"idempotency_key\":\"k")
          .append(k)
          .append("\"}\n");
    }
    byte[] bytes = file.toString().getBytes(StandardCharsets.UTF_8);
    CyclicBarrier start = new CyclicBarrier(PRODUCERS);
    ExecutorService pool = Executors.newFixedThreadPool(PRODUCERS);
    List<Future<EventFileLoader.Loaded>> loads = new ArrayList<>();
    try {
      for (int p = 0; p < PRODUCERS; p++) {
        Callable<EventFileLoader.Loaded> load =
            () -> {
              try (Connection c = db.connect()) {
                start.await();
                return new EventFileLoader().load(c, new ByteArrayInputStream(bytes));
              }
            };
        loads.add(pool.submit(load));
      }
      long storedKeyed = 0;
      for (Future<EventFileLoader.Loaded> f : loads) {
        EventFileLoader.Loaded loaded = f.get();
        assertEquals(2L * KEYS, loaded.stored() + loaded.skipped().size());
        storedKeyed += KEYS - loaded.skipped().size();
        loaded.skipped().forEach(s -> assertEquals(0, s.line() % 2, "only keyed lines skip"));
      }
      assertEquals(KEYS, storedKeyed, "each key stored by exactly one load");
    } finally {
      pool.shutdownNow();
    }
    assertEquals(
        KEYS, db.queryLong("SELECT count(*) FROM events WHERE idempotency_key IS NOT NULL"));
    assertEquals(
        (long) PRODUCERS * KEYS,
        db.queryLong("SELECT count(*) FROM events WHERE idempotency_key IS NULL"));
  }

  private static List<Integer> shuffledKeys(int seed) {
    List<Integer> keys = new ArrayList<>();
    for (int k = 0; k < KEYS; k++) {
      keys.add(k);
    }
    Collections.shuffle(keys, new Random(seed));
    return keys;
  }
}
