package io.eventworker.deploy;

import java.util.ArrayList;
import java.util.List;
import java.util.function.LongToIntFunction;

/**
 * A backlog under {@link Autoscaler}, second by second: producers insert at a rate that changes
 * over time, each ready replica drains at the measured warm rate (its first events at the cold
 * rate), a new replica drains nothing until its start-up time has passed, and the scaler polls the
 * capped due count at the polling interval. docs/SCALING.md holds its table and its assumptions.
 */
final class BurstSimulation {

  /** The assumed drain rates and times (see docs/SCALING.md for where each comes from). */
  record Model(
      long warmRate, double coldFactor, long coldEvents, int startSeconds, int pollSeconds) {

    static final Model MEASURED = new Model(60_000, 0.64, 200_000, 20, 15);
  }

  /** One poll: what the scaler read and set, and how many replicas were draining just before. */
  record Row(long second, long inflow, long backlog, long metric, int replicas, int ready) {}

  private final Autoscaler.Settings settings;
  private final Model model;
  private final long inFlightPerReplica;

  BurstSimulation(Autoscaler.Settings settings, Model model, long inFlightPerReplica) {
    this.settings = settings;
    this.model = model;
    this.inFlightPerReplica = inFlightPerReplica;
  }

  /** Every poll from second 0 to {@code seconds}, with producers at {@code inflow(second)}. */
  List<Row> run(int seconds, LongToIntFunction inflow) {
    Autoscaler scaler = new Autoscaler(settings);
    List<long[]> pods = new ArrayList<>(); // {second it is ready, events it has drained}
    List<Row> rows = new ArrayList<>();
    long backlog = 0;
    for (long t = 0; t <= seconds; t++) {
      long in = inflow.applyAsInt(t);
      backlog += in;
      backlog -= drain(pods, t, backlog);
      if (t % model.pollSeconds() == 0) {
        final long now = t;
        int ready = (int) pods.stream().filter(p -> p[0] <= now).count();
        // Claimed batches stay 'pending' until they commit: the count sees them too.
        long inFlight =
            Math.min(ready * inFlightPerReplica, in * inFlightPerReplica / model.warmRate());
        long metric = Math.min(backlog + inFlight, settings.target() * settings.max());
        int wanted = scaler.poll(t, metric);
        while (pods.size() < wanted) {
          pods.add(new long[] {t + model.startSeconds(), 0});
        }
        while (pods.size() > wanted) {
          pods.remove(pods.size() - 1);
        }
        rows.add(new Row(t, in, backlog, metric, wanted, ready));
      }
    }
    return rows;
  }

  private long drain(List<long[]> pods, long now, long backlog) {
    long drained = 0;
    for (long[] pod : pods) {
      if (pod[0] > now || drained >= backlog) {
        continue;
      }
      double rate = model.warmRate() * (pod[1] < model.coldEvents() ? model.coldFactor() : 1);
      long n = Math.min(backlog - drained, (long) rate);
      pod[1] += n;
      drained += n;
    }
    return drained;
  }
}
