package io.eventworker.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A PostgreSQL 15 cluster of the test's own: {@code initdb} into a temporary folder, started on a
 * free port of 127.0.0.1, deleted on close. Unlike the shared test server it may be configured with
 * a given postgresql.conf, stopped and restarted. As root, the server programs run as the {@code
 * postgres} user (initdb refuses root).
 */
public final class PostgresCluster implements AutoCloseable {

  private final Path bin;
  private final Path dir;
  private final Path data;
  private final Path archive;
  private final Path log;
  private final int port;
  private final boolean root;
  private final List<String> extraOptions = new ArrayList<>();

  private PostgresCluster(Path bin, Path dir, int port, boolean root) {
    this.bin = bin;
    this.dir = dir;
    this.data = dir.resolve("data");
    this.archive = dir.resolve("wal-archive");
    this.log = dir.resolve("server.log");
    this.port = port;
    this.root = root;
  }

  /**
   * Creates and starts a cluster. {@code configFile} (may be null) is used as the server's
   * postgresql.conf; the port, addresses, socket folder and archive folder of this test are set
   * over it through postgresql.auto.conf, which PostgreSQL always reads last.
   */
  public static PostgresCluster start(Path configFile) throws IOException {
    Path bin = serverPrograms();
    boolean root = "root".equals(System.getProperty("user.name"));
    Path dir = Files.createTempDirectory("ew-pg-");
    PostgresCluster cluster = new PostgresCluster(bin, dir, WorkerProcess.freePort(), root);
    Files.createDirectories(cluster.archive);
    if (root) {
      cluster.check(
          Programs.run(
              Map.of(),
              Duration.ofSeconds(30),
              "chown",
              "-R",
              "postgres:postgres",
              dir.toString()));
    }
    cluster.check(
        cluster.server(
            Duration.ofMinutes(2),
            "initdb",
            "-D",
            cluster.data.toString(),
            "-U",
            "postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--no-sync"));
    String autoConf =
        "port = "
            + cluster.port
            + "\n"
            + "listen_addresses = '127.0.0.1'\n"
            + "unix_socket_directories = '"
            + dir
            + "'\n"
            + "archive_command = 'test ! -f "
            + cluster.archive
            + "/%f && cp %p "
            + cluster.archive
            + "/%f'\n"
            + "fsync = off\n";
    Path auto = cluster.data.resolve("postgresql.auto.conf");
    Files.writeString(auto, autoConf, StandardCharsets.UTF_8);
    if (configFile != null) {
      // The server reads the given file in place; it must be readable by the postgres user.
      Path copy = dir.resolve("postgresql.conf");
      Files.copy(configFile, copy);
      cluster.extraOptions.add("-c config_file=" + copy);
    }
    if (root) {
      cluster.check(
          Programs.run(
              Map.of(),
              Duration.ofSeconds(30),
              "chown",
              "-R",
              "postgres:postgres",
              dir.toString()));
    }
    cluster.startServer();
    return cluster;
  }

  /**
   * A cluster whose data folder the caller fills (a restore) before {@link #startServer}. It runs
   * on a port and sockets of its own whatever the restored settings say, and archives nothing.
   */
  public static PostgresCluster forRestore() throws IOException {
    boolean root = "root".equals(System.getProperty("user.name"));
    Path dir = Files.createTempDirectory("ew-pg-restore-");
    PostgresCluster cluster =
        new PostgresCluster(serverPrograms(), dir, WorkerProcess.freePort(), root);
    cluster.extraOptions.add(
        "-c port="
            + cluster.port
            + " -c listen_addresses=127.0.0.1"
            + " -c unix_socket_directories="
            + dir
            + " -c archive_mode=off");
    if (root) {
      cluster.check(
          Programs.run(
              Map.of(), Duration.ofSeconds(30), "chown", "postgres:postgres", dir.toString()));
    }
    return cluster;
  }

  /**
   * A streaming standby of this (running) cluster, started: {@code pg_basebackup -R} from it into a
   * temporary folder of its own (which writes standby.signal and primary_conninfo), on a port of
   * its own, connecting as {@code applicationName}, the name {@code synchronous_standby_names}
   * refers to. Returns once the standby accepts (read-only) connections.
   */
  public PostgresCluster startStandby(String applicationName) throws IOException {
    return startStandby(applicationName, port);
  }

  /**
   * The same, streaming from port {@code upstreamPort} of 127.0.0.1 (a proxy in front of this
   * cluster, that can stall the replication link) once the base backup is taken.
   */
  public PostgresCluster startStandby(String applicationName, int upstreamPort) throws IOException {
    Path standbyDir = Files.createTempDirectory("ew-pg-standby-");
    PostgresCluster standby = new PostgresCluster(bin, standbyDir, WorkerProcess.freePort(), root);
    if (root) {
      standby.check(
          Programs.run(
              Map.of(),
              Duration.ofSeconds(30),
              "chown",
              "postgres:postgres",
              standbyDir.toString()));
    }
    String conninfo = "host=127.0.0.1 user=postgres application_name=" + applicationName;
    standby.check(
        standby.server(
            Duration.ofMinutes(2),
            "pg_basebackup",
            "-d",
            conninfo + " port=" + port,
            "-D",
            standby.data.toString(),
            "-X",
            "stream",
            "-c",
            "fast",
            "-R",
            "--no-sync"));
    // Read after the primary's settings copied with the data folder: the later line wins.
    String own =
        "\nport = "
            + standby.port
            + "\nunix_socket_directories = '"
            + standbyDir
            + "'\nprimary_conninfo = '"
            + conninfo
            + " port="
            + upstreamPort
            + "'\n";
    Path auto = standby.data.resolve("postgresql.auto.conf");
    Files.writeString(auto, own, StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.APPEND);
    standby.startServer();
    return standby;
  }

  /** Promotes this standby to a primary and waits until it accepts writes. */
  public void promote() {
    check(server(Duration.ofSeconds(60), "pg_ctl", "-D", data.toString(), "-w", "promote"));
  }

  /** The data folder. */
  public Path dataDir() {
    return data;
  }

  /** The folder of this cluster's server programs (pg_basebackup, pg_archivecleanup...). */
  public Path programs() {
    return bin;
  }

  /** Starts the (stopped) server and waits until it accepts connections. */
  public void startServer() {
    List<String> args =
        new ArrayList<>(
            List.of("pg_ctl", "-D", data.toString(), "-l", log.toString(), "-w", "-t", "60"));
    if (!extraOptions.isEmpty()) {
      args.add("-o");
      args.add(String.join(" ", extraOptions));
    }
    args.add("start");
    check(server(Duration.ofSeconds(90), args.toArray(String[]::new)));
  }

  /**
   * Stops the server: {@code fast} (roll back sessions, clean) or {@code immediate} (crash-like).
   */
  public void stopServer(String mode) {
    check(
        server(Duration.ofSeconds(60), "pg_ctl", "-D", data.toString(), "-m", mode, "-w", "stop"));
  }

  public int port() {
    return port;
  }

  /** Where archive_command copies WAL segments. */
  public Path archiveDir() {
    return archive;
  }

  /** A DATABASE_URL for database {@code name} on this cluster, as the superuser postgres. */
  public String url(String name) {
    return "postgresql://postgres@127.0.0.1:" + port + "/" + name;
  }

  public Connection connect(String database) throws SQLException {
    return DriverManager.getConnection(
        "jdbc:postgresql://127.0.0.1:" + port + "/" + database + "?user=postgres");
  }

  /** Stops the server with {@code mode}, then starts it again at once. */
  public void restartServer(String mode) {
    stopServer(mode);
    startServer();
  }

  /** Whether the server accepts connections now (a superuser connection answers a query). */
  public boolean isAccepting() {
    try (Connection c = connect("postgres");
        Statement s = c.createStatement()) {
      s.execute("SELECT 1");
      return true;
    } catch (SQLException e) {
      return false;
    }
  }

  /** Runs SQL statements in database {@code name}, auto-committed, as the superuser. */
  public void execute(String database, String... statements) throws SQLException {
    try (Connection c = connect(database);
        Statement s = c.createStatement()) {
      for (String sql : statements) {
        s.execute(sql);
      }
    }
  }

  /** The single text value a query returns in database {@code name}. */
  public String queryString(String database, String sql) throws SQLException {
    try (Connection c = connect(database);
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      if (!rs.next()) {
        throw new SQLException("no row from: " + sql);
      }
      return rs.getString(1);
    }
  }

  /** The server's {@code version()}, e.g. "PostgreSQL 15.14 (Debian ...) on x86_64 ...". */
  public String version() throws SQLException {
    return queryString("postgres", "SELECT version()");
  }

  /** How long the server log is now: pass it to {@link #serverLogSince} to read what follows. */
  public long serverLogSize() {
    try {
      return Files.exists(log) ? Files.size(log) : 0;
    } catch (IOException e) {
      return 0;
    }
  }

  /** The server log from byte {@code offset} on (see {@link #serverLogSize}). */
  public String serverLogSince(long offset) {
    try {
      byte[] all = Files.readAllBytes(log);
      int from = (int) Math.min(Math.max(0, offset), all.length);
      return new String(all, from, all.length - from, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "";
    }
  }

  /** The server's log so far. */
  public String serverLog() {
    try {
      return Files.readString(log, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "(no server log: " + e + ")";
    }
  }

  @Override
  public void close() throws IOException {
    server(
        Duration.ofSeconds(60), "pg_ctl", "-D", data.toString(), "-m", "immediate", "-w", "stop");
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  /** Runs a server program (initdb, pg_ctl) with its arguments, as postgres when we are root. */
  private Programs.Result server(Duration timeout, String... programAndArgs) {
    List<String> command = new ArrayList<>();
    if (root) {
      command.addAll(List.of("runuser", "-u", "postgres", "--"));
    }
    command.add(bin.resolve(programAndArgs[0]).toString());
    command.addAll(List.of(programAndArgs).subList(1, programAndArgs.length));
    return Programs.run(Map.of(), timeout, command.toArray(String[]::new));
  }

  private void check(Programs.Result result) {
    assertEquals(0, result.status(), result.output() + "\n" + serverLog());
  }

  /** The folder of initdb, pg_ctl and postgres 15. */
  private static Path serverPrograms() {
    for (String candidate :
        new String[] {
          System.getenv("PG_BIN"), "/usr/lib/postgresql/15/bin", "/usr/local/pgsql/bin"
        }) {
      if (candidate != null && Files.isExecutable(Path.of(candidate, "pg_ctl"))) {
        return Path.of(candidate);
      }
    }
    String onPath = Programs.require("pg_ctl");
    return Path.of(onPath).getParent();
  }
}
