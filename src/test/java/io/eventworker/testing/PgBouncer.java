package io.eventworker.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Debian's {@code pgbouncer} as a process of the test's own, in front of one database of the test
 * server: deploy/pgbouncer/pgbouncer.ini with its addresses, authentication (trust, through an
 * auth_file) and pool replaced, on a free port of 127.0.0.1, stopped on close. PgBouncer refuses to
 * run as root: as root it is told to switch to the {@code postgres} user.
 */
public final class PgBouncer implements AutoCloseable {

  /** The example configuration the harness starts from. */
  public static final Path EXAMPLE = Path.of("deploy", "pgbouncer", "pgbouncer.ini");

  private final Process process;
  private final Path dir;
  private final Path log;
  private final int port;
  private final String database;

  private PgBouncer(Process process, Path dir, Path log, int port, String database) {
    this.process = process;
    this.dir = dir;
    this.log = log;
    this.port = port;
    this.database = database;
  }

  /**
   * Starts PgBouncer for {@code database} with {@code poolMode} ({@code session} or {@code
   * transaction}) and at most {@code poolSize} server connections, and waits until it answers.
   */
  public static PgBouncer start(String database, String poolMode, int poolSize)
      throws IOException, InterruptedException {
    String program = Programs.require("pgbouncer");
    PostgresServer server = PostgresServer.get();
    boolean root = "root".equals(System.getProperty("user.name"));
    Path dir = Files.createTempDirectory("ew-pgbouncer-");
    int port = WorkerProcess.freePort();
    String target =
        "host="
            + server.host()
            + " port="
            + server.port()
            + " dbname="
            + database
            + " user="
            + server.user()
            + (server.password() == null ? "" : " password=" + server.password());
    String ini = Files.readString(EXAMPLE, StandardCharsets.UTF_8);
    ini =
        ini.replaceFirst("(?m)^events = .*$", Matcher.quoteReplacement(database + " = " + target));
    ini = set(ini, "listen_addr", "127.0.0.1");
    ini = set(ini, "listen_port", Integer.toString(port));
    ini = set(ini, "auth_type", "trust");
    ini = set(ini, "auth_file", dir.resolve("userlist.txt").toString());
    ini = set(ini, "pool_mode", poolMode);
    ini = set(ini, "default_pool_size", Integer.toString(poolSize));
    ini = set(ini, "unix_socket_dir", "");
    Files.writeString(dir.resolve("userlist.txt"), "\"" + server.user() + "\" \"\"\n");
    Path config = Files.writeString(dir.resolve("pgbouncer.ini"), ini);
    if (root) {
      Programs.Result chown =
          Programs.run(
              Map.of(), Duration.ofSeconds(30), "chown", "-R", "postgres:postgres", dir.toString());
      if (chown.status() != 0) {
        throw new AssertionError("chown " + dir + ": " + chown.output());
      }
    }
    List<String> command = new ArrayList<>(List.of(program));
    if (root) {
      command.addAll(List.of("-u", "postgres"));
    }
    command.add(config.toString());
    Path logs = Files.createDirectories(Path.of("target", "it-logs"));
    Path log = logs.resolve("pgbouncer-" + poolMode + "-" + System.nanoTime() + ".log");
    PgBouncer bouncer =
        new PgBouncer(
            Programs.start(Map.of(), log, command.toArray(String[]::new)),
            dir,
            log,
            port,
            database);
    bouncer.awaitConnection(Duration.ofSeconds(15));
    return bouncer;
  }

  /** Sets {@code key} in the [pgbouncer] section, where the example has it. */
  private static String set(String ini, String key, String value) {
    Pattern line = Pattern.compile("(?m)^" + Pattern.quote(key) + "\\s*=.*$");
    Matcher m = line.matcher(ini);
    String replacement = Matcher.quoteReplacement(key + " = " + value);
    return m.find() ? m.replaceFirst(replacement) : ini.stripTrailing() + "\n" + replacement + "\n";
  }

  private void awaitConnection(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    SQLException last = null;
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new AssertionError("pgbouncer exited with " + process.exitValue() + ":\n" + output());
      }
      try (Connection c = connect()) {
        return;
      } catch (SQLException e) {
        last = e;
        Thread.sleep(50);
      }
    }
    throw new AssertionError("pgbouncer not answering within " + timeout + ": " + last);
  }

  /** DATABASE_URL of the database through PgBouncer. */
  public String url() {
    PostgresServer server = PostgresServer.get();
    return "postgresql://" + server.user() + "@127.0.0.1:" + port + "/" + database;
  }

  /** A plain auto-commit connection through PgBouncer, as any other client would make. */
  public Connection connect() throws SQLException {
    Properties props = new Properties();
    props.setProperty("user", PostgresServer.get().user());
    return DriverManager.getConnection(
        "jdbc:postgresql://127.0.0.1:" + port + "/" + database, props);
  }

  /** What PgBouncer logged so far. */
  public String output() {
    try {
      return Files.readString(log, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "(no output: " + e + ")";
    }
  }

  @Override
  public void close() throws IOException, InterruptedException {
    // SIGTERM: PgBouncer 1.18 shuts down at once, closing its server connections, so that the
    // test's database can be dropped.
    process.destroy();
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
    }
    try (var files = Files.list(dir)) {
      for (Path f : files.toList()) {
        Files.delete(f);
      }
    }
    Files.delete(dir);
  }
}
