package io.eventworker.bench;

import ch.qos.logback.classic.Level;
import io.eventworker.config.ConfigException;
import io.eventworker.config.DatabaseUrl;
import io.eventworker.config.WorkerConfig;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The benchmark's entry point: throughput, latency and their limits on this machine. It lives
 * outside the production jar and runs from the build ({@code mvn -B -q -Pbench}).
 */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    usageHelpAutoWidth = true,
    footer = {"", "Run it with: mvn -B -q -Pbench -Dbench.args=\"--quick\""},
    description = {
      "Measures the worker against PostgreSQL's own limit on the same server, in one run:"
          + " throughput and the SQL floor (the same work as one statement per batch), idle and"
          + " loaded latency, throughput with a deep queue, with millions of processed rows kept"
          + " and with a held REPEATABLE READ horizon, ingest rates, and the worker's memory and"
          + " CPU.",
      "",
      "Creates a database on the server of DATABASE_URL and drops it at the end (or uses"
          + " --database-url). Progress goes to standard error, the table to standard output. See"
          + " docs/PERFORMANCE.md."
    })
public final class BenchCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  private final Map<String, String> env;

  BenchCommand(Map<String, String> env) {
    this.env = env;
  }

  /**
   * Runs the benchmark with this process's environment (DATABASE_URL and the worker's settings).
   */
  public static void main(String[] args) {
    CommandLine cli = new CommandLine(new BenchCommand(System.getenv()));
    cli.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          commandLine
              .getErr()
              .println(
                  "bench: "
                      + (e instanceof ConfigException ? "configuration error: " : "")
                      + e.getMessage());
          return e instanceof ConfigException ? 2 : 1;
        });
    System.exit(cli.execute(args));
  }

  @Option(
      names = "--events",
      paramLabel = "N",
      description = "events per case (default 200000; 50000 with --quick)")
  Long events;

  @Option(
      names = "--threads",
      paramLabel = "N",
      description = "worker threads (default: WORKER_THREADS)")
  Integer threads;

  @Option(
      names = "--batch-size",
      paramLabel = "N",
      description = "batch size (default: BATCH_SIZE)")
  Integer batchSize;

  @Option(
      names = "--replicas",
      paramLabel = "N",
      defaultValue = "1",
      description = "worker processes (default 1)")
  int replicas;

  @Option(
      names = "--sweep",
      description = "also measure throughput across threads, batch sizes and processes")
  boolean sweep;

  @Option(
      names = "--throughput",
      description =
          "run only the worker against the SQL floor at its settings and at its best, and the"
              + " ingest rates")
  boolean throughput;

  @Option(
      names = "--scale-out",
      description =
          "run only the scale-out table (1, 2, 4 and 8 processes against the SQL floor) and the"
              + " scale-in check (SIGTERM mid-drain); a run without --throughput, --scale-out,"
              + " --cold-start or --feature runs every case")
  boolean scaleOut;

  @Option(
      names = "--cold-start",
      description =
          "run only the cold-start rounds: the first events of a fresh process against the same"
              + " process warm, and the time to ready")
  boolean coldStart;

  @Option(
      names = "--cold-start-jvm",
      paramLabel = "FLAGS",
      description =
          "with the cold-start rounds, also the image's JVM with these extra flags"
              + " (repeatable), e.g. \"-XX:TieredStopAtLevel=1\"")
  List<String> coldStartFlags = new ArrayList<>();

  @Option(
      names = "--feature",
      paramLabel = "NAME",
      description =
          "run only the cost of this opt-in feature (repeatable; 'all' for every one): the worker"
              + " or query with it against the same work without it")
  Set<String> features = new LinkedHashSet<>();

  @Option(names = "--quick", description = "smaller cases: the whole run within about two minutes")
  boolean quick;

  @Option(names = "--json", description = "print JSON instead of a table")
  boolean json;

  @Option(
      names = "--database-url",
      paramLabel = "URL",
      description = "run in this database (kept) instead of a new one")
  String databaseUrl;

  @Option(
      names = "--worker-memory",
      paramLabel = "SIZE",
      defaultValue = "512m",
      description = "the memory limit of the container the worker stands in for (default 512m)")
  String workerMemory;

  @Override
  public Integer call() throws Exception {
    WorkerConfig config = WorkerConfig.fromEnvironment(env);
    ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME))
        .setLevel(Level.toLevel(config.logLevel()));
    long n = events != null ? events : quick ? 50_000 : 200_000;
    int t = threads != null ? threads : config.workerThreads();
    int b = batchSize != null ? batchSize : config.batchSize();
    if (n < 1_000 || t < 1 || b < 1 || replicas < 1 || !workerMemory.matches("\\d+[kmgKMG]")) {
      throw new ParameterException(
          spec.commandLine(),
          "--events must be at least 1000, --threads, --batch-size and --replicas at least 1,"
              + " --worker-memory a size such as 512m");
    }
    Set<String> unknown = new TreeSet<>(features);
    unknown.remove("all");
    FeatureCosts.names().forEach(unknown::remove);
    if (!unknown.isEmpty()) {
      throw new ParameterException(
          spec.commandLine(),
          "--feature " + unknown + ": expected one of " + FeatureCosts.names() + " or all");
    }
    // Each of --throughput, --scale-out, --cold-start and --feature runs only its part.
    List<String> only = new ArrayList<>();
    if (throughput) {
      only.add("throughput");
    }
    if (scaleOut) {
      only.add("scale-out");
    }
    if (coldStart) {
      only.add("cold-start");
    }
    if (!features.isEmpty()) {
      only.add("features");
    }
    WorkerConfig given =
        databaseUrl == null
            ? null
            : config.withDatabase(DatabaseUrl.parse("--database-url", databaseUrl));
    var report =
        Benchmark.run(
            config,
            given,
            new Benchmark.Options(
                n,
                t,
                b,
                replicas,
                sweep,
                quick,
                workerMemory,
                only.isEmpty(),
                throughput,
                only.isEmpty() || scaleOut,
                only.isEmpty() || coldStart,
                coldStartFlags,
                only.isEmpty() || !features.isEmpty(),
                features.contains("all") ? Set.of() : features),
            System.err);
    spec.commandLine().getOut().print(json ? report.json() + "\n" : report.table());
    spec.commandLine().getOut().flush();
    return 0;
  }
}
