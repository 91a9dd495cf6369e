package io.eventworker.bench;

import java.io.PrintStream;
import java.util.List;
import java.util.Set;

/** The feature cases, run in this order by a full run or those named by {@code --feature}. */
final class FeatureCosts {

  // One line per feature case.
  static final List<FeatureCase> ALL =
      List.of(
          new ScheduledCost(),
          new IdempotencyCost(),
          new OrderingCost(),
          new ConsoleCost(),
          new UserStatistics(),
          new GinIndexes(),
          new PartitionsCase());

  private FeatureCosts() {}

  static void run(
      BenchDatabase db,
      Benchmark.Options options,
      Set<String> names,
      BenchReport report,
      PrintStream progress)
      throws Exception {
    for (FeatureCase c : ALL) {
      if (names.isEmpty() || names.contains(c.name())) {
        progress.println("bench: feature cost: " + c.name());
        db.reset();
        c.run(db, options, report, progress);
      }
    }
  }

  static List<String> names() {
    return ALL.stream().map(FeatureCase::name).toList();
  }
}
