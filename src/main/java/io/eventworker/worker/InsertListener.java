package io.eventworker.worker;

import io.eventworker.db.ConnectionFactory;
import io.eventworker.queue.EventRepository;
import io.eventworker.runtime.Backoff;
import io.eventworker.runtime.FatalErrors;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * LISTENs on its own connection for the insert trigger's notifications and wakes a worker thread
 * for each. A lost connection is re-opened with backoff; polling covers the gap meanwhile.
 */
final class InsertListener implements Runnable {

  private static final Logger log = LoggerFactory.getLogger(InsertListener.class);
  private static final int WAIT_MILLIS = 500;
  // A socket that stops answering shows no error until something is sent; probe when quiet.
  private static final long PROBE_AFTER_NANOS = Duration.ofSeconds(10).toNanos();
  private static final long STABLE_NANOS = Duration.ofSeconds(30).toNanos();

  private final ConnectionFactory connections;
  private final Wakeup wakeup;
  private final Backoff backoff;

  InsertListener(
      ConnectionFactory connections, Wakeup wakeup, Duration backoffInitial, Duration backoffMax) {
    this.connections = connections;
    this.wakeup = wakeup;
    this.backoff = Backoff.of(backoffInitial, backoffMax, Backoff.Jitter.NONE);
  }

  @Override
  public void run() {
    int failures = 0;
    boolean lost = false;
    while (!wakeup.isStopped()) {
      long connectedAt = System.nanoTime();
      try (Connection c = connections.open()) {
        c.setAutoCommit(true);
        try (Statement s = c.createStatement()) {
          s.execute("LISTEN " + EventRepository.CHANNEL);
        }
        if (lost) {
          log.info("listening for new events again");
          lost = false;
        }
        connectedAt = System.nanoTime();
        // Events inserted while nobody listened sent their notification to no one.
        wakeup.signalAll();
        listen(c);
      } catch (Throwable e) {
        if (FatalErrors.isFatal(e)) {
          throw (Error) e;
        }
        if (wakeup.isStopped()) {
          return;
        }
        if (!lost) {
          log.warn(
              "listener connection lost, polling every poll interval until it is back: {}",
              e.toString());
          lost = true;
        }
        // Back off from the start only after a connection that lasted: one that is cut right
        // after LISTEN (a server that ends sessions at once) must not spin.
        if (System.nanoTime() - connectedAt > STABLE_NANOS) {
          failures = 0;
        }
        try {
          if (!wakeup.pause(backoff.delay(++failures))) {
            return;
          }
        } catch (InterruptedException ie) {
          return;
        }
      }
    }
  }

  private void listen(Connection c) throws SQLException {
    PGConnection pg = c.unwrap(PGConnection.class);
    long quietSince = System.nanoTime();
    while (!wakeup.isStopped()) {
      PGNotification[] notifications = pg.getNotifications(WAIT_MILLIS);
      if (notifications != null && notifications.length > 0) {
        for (int i = 0; i < notifications.length; i++) {
          wakeup.signal();
        }
        quietSince = System.nanoTime();
      } else if (System.nanoTime() - quietSince > PROBE_AFTER_NANOS) {
        try (Statement s = c.createStatement()) {
          s.execute("SELECT 1");
        }
        quietSince = System.nanoTime();
      }
    }
  }
}
