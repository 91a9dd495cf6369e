package io.eventworker.bench;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/**
 * The SQL floor at its best: one drain at each batch size and connection count of a small grid, to
 * find the settings under which PostgreSQL alone processes the events fastest. The worker is then
 * compared with the floor at those settings as well as with the floor at its own.
 */
final class FloorGrid {

  static final int[] BATCH_SIZES = {200, 500, 1000, 2000};
  static final int[] CONNECTIONS = {1, 2, 4};

  /** A point of the grid and its rate. */
  record Point(int batchSize, int connections, double eventsPerSecond) {
    String settings() {
      return "batches of " + batchSize + ", " + connections + " connections";
    }
  }

  private FloorGrid() {}

  /** Drains {@code events} at every point of the grid; returns the fastest, prints them all. */
  static Point best(BenchDatabase db, long events, BenchReport report, PrintStream progress)
      throws Exception {
    List<Point> points = new ArrayList<>();
    for (int connections : CONNECTIONS) {
      for (int batch : BATCH_SIZES) {
        db.insertForFloor(events);
        db.settle();
        points.add(new Point(batch, connections, events / SqlFloor.drain(db, connections, batch)));
      }
    }
    Point best = points.get(0);
    List<List<String>> lines = new ArrayList<>();
    for (Point p : points) {
      best = p.eventsPerSecond() > best.eventsPerSecond() ? p : best;
    }
    for (Point p : points) {
      lines.add(
          List.of(
              Integer.toString(p.batchSize()),
              Integer.toString(p.connections()),
              BenchReport.format("%,.0f", p.eventsPerSecond()),
              p == best ? "yes" : ""));
    }
    progress.print(
        report.table(
            "floor_grid",
            "SQL floor grid: " + events + " events per point, one drain each",
            List.of("batch size", "connections", "events/s", "best"),
            lines));
    return best;
  }
}
