package io.eventworker.cli;

import io.eventworker.config.ConfigException;
import io.eventworker.config.WorkerConfig;
import io.eventworker.queue.InvalidInputException;
import java.io.PrintWriter;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code event-worker COMMAND}: the entry point of the jar. */
@Command(
    name = "event-worker",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "Processes the events that producers insert into PostgreSQL's events table.",
    footer = {
      "",
      "Settings come from environment variables (DATABASE_URL, WORKER_THREADS, ...): see"
          + " README.md.",
      "Exit status: 0 done, 1 failed (database or runtime error), 2 bad usage, setting or input."
    },
    subcommands = {
      RunCommand.class,
      MigrateCommand.class,
      EnqueueCommand.class,
      StatusCommand.class,
      RetryCommand.class,
      PruneCommand.class,
      WarmUpCommand.class,
      CommandLine.HelpCommand.class
    })
public final class Main implements Runnable {

  static final int FAILED = 1;
  static final int BAD_INPUT = 2;

  @Spec CommandSpec spec;

  private final Map<String, String> env;
  // The settings once read, so that a failure message can name the database's host.
  private WorkerConfig config;

  public Main(Map<String, String> env) {
    this.env = env;
  }

  public static void main(String[] args) {
    System.exit(execute(System.getenv(), args));
  }

  /** Runs one command line with the given environment; returns the exit status. */
  public static int execute(Map<String, String> env, String... args) {
    return execute(env, new PrintWriter(System.out, true), new PrintWriter(System.err, true), args);
  }

  /** As {@link #execute(Map, String...)}, printing to {@code out} and {@code err}. */
  public static int execute(
      Map<String, String> env, PrintWriter out, PrintWriter err, String... args) {
    Main main = new Main(env);
    CommandLine cli = new CommandLine(main).setOut(out).setErr(err);
    cli.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          commandLine.getErr().println("event-worker: " + FailureMessage.of(e, main.config));
          return e instanceof ConfigException || e instanceof InvalidInputException
              ? BAD_INPUT
              : FAILED;
        });
    return cli.execute(args);
  }

  @Override
  public void run() {
    throw new CommandLine.ParameterException(
        spec.commandLine(), "a command is required: run, migrate, enqueue, status, retry or prune");
  }

  /**
   * The settings, read and validated from this process's environment; applies LOG_LEVEL and
   * LOG_FORMAT.
   */
  WorkerConfig config() {
    config = WorkerConfig.fromEnvironment(env);
    LogOutput.apply(config);
    return config;
  }

  /** The version from the jar's manifest. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Main.class.getPackage().getImplementationVersion();
      return new String[] {"event-worker " + (v == null ? "(development build)" : v)};
    }
  }
}
