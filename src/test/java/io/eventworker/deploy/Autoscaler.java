package io.eventworker.deploy;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * The replica count KEDA and the HPA it creates choose for the worker, step by step: KEDA's
 * activation from and deactivation to zero, and the HPA's {@code ceil(metric / target)} with its
 * 10% tolerance, clamped to [1, max], limited by the ScaledObject's scale-up and scale-down
 * policies and the scale-down stabilization window. Times are in seconds.
 */
final class Autoscaler {

  /** The ScaledObject's numbers (KubernetesManifestsIT checks them against the manifest). */
  record Settings(
      long target,
      long activation,
      int max,
      int cooldown,
      int scaleDownWindow,
      int scaleUpPods,
      int scaleUpPeriod,
      int scaleDownPods,
      int scaleDownPeriod) {

    static final Settings MANIFEST = new Settings(2_000, 0, 8, 300, 300, 4, 15, 1, 60);
  }

  /** The HPA leaves the count alone while metric / (target x current) is within this of 1. */
  static final double TOLERANCE = 0.1;

  private final Settings settings;
  private final Deque<long[]> recommendations = new ArrayDeque<>();
  private int replicas;
  // Long ago, without overflowing the differences taken from them.
  private long lastActive = Long.MIN_VALUE / 2;
  private long lastScaleDown = Long.MIN_VALUE / 2;
  private final Deque<long[]> scaleUps = new ArrayDeque<>();

  Autoscaler(Settings settings) {
    this.settings = settings;
  }

  int replicas() {
    return replicas;
  }

  /** What the HPA's rule alone asks for, before its policies: ceil(metric / target), clamped. */
  static int desired(Settings s, long metric, int current) {
    if (current > 0 && Math.abs((double) metric / (s.target() * current) - 1) <= TOLERANCE) {
      return current;
    }
    long wanted = (metric + s.target() - 1) / s.target();
    return (int) Math.max(1, Math.min(s.max(), wanted));
  }

  /** One poll at time {@code now} that read {@code metric}; returns the new replica count. */
  int poll(long now, long metric) {
    boolean active = metric > settings.activation();
    if (active) {
      lastActive = now;
    }
    if (replicas == 0) {
      // KEDA, not the HPA, wakes a scaled-to-zero Deployment: to one replica.
      replicas = active ? 1 : 0;
      return replicas;
    }
    if (!active && now - lastActive >= settings.cooldown()) {
      replicas = 0;
      recommendations.clear();
      return replicas;
    }
    int raw = desired(settings, metric, replicas);
    recommendations.addLast(new long[] {now, raw});
    while (now - recommendations.peekFirst()[0] >= settings.scaleDownWindow()) {
      recommendations.removeFirst();
    }
    if (raw > replicas) {
      replicas = scaleUp(now, raw);
    } else {
      long stable = recommendations.stream().mapToLong(r -> r[1]).max().orElse(raw);
      if (stable < replicas && now - lastScaleDown >= settings.scaleDownPeriod()) {
        replicas = (int) Math.max(stable, replicas - settings.scaleDownPods());
        lastScaleDown = now;
      }
    }
    return replicas;
  }

  private int scaleUp(long now, int raw) {
    while (!scaleUps.isEmpty() && now - scaleUps.peekFirst()[0] >= settings.scaleUpPeriod()) {
      scaleUps.removeFirst();
    }
    long added = scaleUps.stream().mapToLong(u -> u[1]).sum();
    int allowed = (int) Math.min(raw, replicas + Math.max(0, settings.scaleUpPods() - added));
    if (allowed > replicas) {
      scaleUps.addLast(new long[] {now, allowed - replicas});
    }
    return allowed;
  }
}
