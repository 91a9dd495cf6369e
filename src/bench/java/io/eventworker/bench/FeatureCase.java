package io.eventworker.bench;

import java.io.PrintStream;

/**
 * What one opt-in feature costs: a bench case that measures the worker (or a query) with the
 * feature against the same work without it, in alternated rounds, and reports the ratio.
 */
interface FeatureCase {

  /** The name used by {@code --feature NAME} and in the progress lines. */
  String name();

  /**
   * Runs the case on {@code db} (reset between rounds as needed) and adds its lines to {@code
   * report}. Sizes follow {@code options.events()}, so that a smoke run stays small.
   */
  void run(BenchDatabase db, Benchmark.Options options, BenchReport report, PrintStream progress)
      throws Exception;
}
