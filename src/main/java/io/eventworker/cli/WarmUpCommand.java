package io.eventworker.cli;

import io.eventworker.worker.Handlers;
import io.eventworker.worker.WarmUp;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/**
 * {@code event-worker warm-up} (hidden): the handlers' hot path on synthetic events, in memory. The
 * image build runs it as the training run of its class-data-sharing archive: it needs no database.
 */
@Command(
    name = "warm-up",
    hidden = true,
    description = "Runs the handlers on synthetic events in memory, then exits (no database).")
final class WarmUpCommand implements Callable<Integer> {

  // Enough batches for the JIT to see the path as hot and the archive to hold what it loads.
  static final int BATCHES = 200;
  static final int BATCH_SIZE = 500;

  @Override
  public Integer call() {
    new WarmUp(Handlers.discover()).run(BATCHES, BATCH_SIZE);
    return 0;
  }
}
