package io.eventworker.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the console at {@code GET /} costs the worker: drains with the page fetched once a second
 * (five operators' browsers, each refreshing every 5 s) and by 8 clients in tight loops (a reload
 * storm), each against drains without, in alternated rounds of one run. Scheduled and failed events
 * are in the table throughout, so that the console's lists have rows to read; payloads are shown,
 * the dearer setting.
 */
final class ConsoleCost implements FeatureCase {

  // Browsers reloading at once in the storm rounds; each waits for its page before the next.
  private static final int STORM_CLIENTS = 8;

  private static final String FAILED =
      """
      INSERT INTO events (event_type, data, status, attempts, processed_at, last_error)
      SELECT 'metric', jsonb_build_object('name', 'm-' || g), 'failed', 5, LOCALTIMESTAMP,
             'invalid payload: case ' || (g % 20)
      FROM generate_series(1, ?) g
      """;

  private static final String SCHEDULED =
      """
      INSERT INTO events (event_type, data, run_at)
      SELECT 'data_entry', jsonb_build_object('key', 'later-' || g), now() + interval '1 day'
      FROM generate_series(1, ?) g
      """;

  @Override
  public String name() {
    return "console";
  }

  @Override
  public void run(
      BenchDatabase db, Benchmark.Options options, BenchReport report, PrintStream progress)
      throws Exception {
    long n = options.events();
    long listed = Math.max(100, n / 20);
    try (Connection c = db.connect();
        PreparedStatement failed = c.prepareStatement(FAILED);
        PreparedStatement scheduled = c.prepareStatement(SCHEDULED)) {
      failed.setLong(1, listed);
      failed.executeUpdate();
      scheduled.setLong(1, listed);
      scheduled.executeUpdate();
    }
    int rounds = options.quick() ? 2 : 4;
    progress.println(
        "bench: console: "
            + n
            + " events a round, "
            + rounds
            + " rounds of each kind, "
            + listed
            + " scheduled and "
            + listed
            + " failed events in the table");
    Benchmark.Options one = options.withReplicas(1);
    try (WorkerGroup workers =
        WorkerGroup.start(db, one, Map.of("CONSOLE_SHOW_PAYLOADS", "true"))) {
      WorkerInstance worker = workers.get(0);
      PairedRounds.Round without = () -> drain(db, workers, n);
      Fetcher perSecond = new Fetcher(worker, 1, 1_000);
      Fetcher loop = new Fetcher(worker, STORM_CLIENTS, 0);
      PairedRounds.Round everySecond = () -> perSecond.during(() -> drain(db, workers, n));
      PairedRounds.Round storm = () -> loop.during(() -> drain(db, workers, n));
      for (PairedRounds.Round warmUp : new PairedRounds.Round[] {without, everySecond, storm}) {
        warmUp.seconds();
      }
      perSecond.reset();
      loop.reset();
      PairedRounds.Result slow = PairedRounds.run(db, rounds, without, everySecond);
      PairedRounds.Result fast = PairedRounds.run(db, rounds, without, storm);
      report.throughput(
          "console_without",
          "worker throughput, console not fetched",
          n,
          slow.without(),
          null,
          "",
          null);
      report.throughput(
          "console_every_second",
          "worker throughput, / fetched once a second",
          n,
          slow.with(),
          slow.ratio(),
          "of not fetched",
          0.95);
      report.throughput(
          "console_tight_loop",
          String.format("worker throughput, / fetched by 8 loops (%.0f pages/s)", loop.rate()),
          n,
          fast.with(),
          fast.ratio(),
          "of not fetched",
          0.9);
      report.value(
          "console_loop_pages_per_second",
          "console pages served in the loop",
          loop.rate(),
          "pages/s",
          null,
          null);
    }
  }

  private static double drain(BenchDatabase db, WorkerGroup workers, long n) throws Exception {
    return PairedRounds.secondsToDrain(db, workers, n);
  }

  /** Fetches {@code /} from one worker in threads while a round runs, each every pause ms. */
  private static final class Fetcher {
    private final WorkerInstance worker;
    private final int clients;
    private final long pauseMillis;
    private final AtomicLong pages = new AtomicLong();
    private volatile double fetchingSeconds;

    Fetcher(WorkerInstance worker, int clients, long pauseMillis) {
      this.worker = worker;
      this.clients = clients;
      this.pauseMillis = pauseMillis;
    }

    double during(PairedRounds.Round round) throws Exception {
      AtomicLong failures = new AtomicLong();
      Runnable fetch =
          () -> {
            while (!Thread.currentThread().isInterrupted()) {
              try {
                if (worker.get("/").statusCode() == 200) {
                  pages.incrementAndGet();
                } else {
                  failures.incrementAndGet();
                }
                if (pauseMillis > 0) {
                  Thread.sleep(pauseMillis);
                }
              } catch (InterruptedException e) {
                return;
              } catch (IOException e) {
                if (Thread.currentThread().isInterrupted()) {
                  return;
                }
                failures.incrementAndGet();
              }
            }
          };
      List<Thread> threads = new ArrayList<>();
      for (int i = 0; i < clients; i++) {
        threads.add(new Thread(fetch, "bench-console-fetcher-" + i));
      }
      long started = System.nanoTime();
      threads.forEach(Thread::start);
      try {
        return round.seconds();
      } finally {
        for (Thread thread : threads) {
          thread.interrupt();
          thread.join();
        }
        fetchingSeconds += (System.nanoTime() - started) / 1e9;
        if (failures.get() > 0) {
          throw new IOException(failures.get() + " fetches of / failed");
        }
      }
    }

    void reset() {
      pages.set(0);
      fetchingSeconds = 0;
    }

    double rate() {
      return fetchingSeconds > 0 ? pages.get() / fetchingSeconds : 0;
    }
  }
}
