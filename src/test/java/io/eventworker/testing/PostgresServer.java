package io.eventworker.testing;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Properties;
import org.testcontainers.postgresql.PostgreSQLContainer;

/**
 * The one PostgreSQL 15 server of a test run, chosen once and announced on standard output:
 *
 * <ol>
 *   <li>the server in {@value #ENV} ({@code postgresql://user:pass@host:port/db}, a user allowed to
 *       create databases), whenever it is set;
 *   <li>a Testcontainers {@value #IMAGE} container, where a Docker engine answers and has the image
 *       (or can pull it), and has Testcontainers' Ryuk image or {@code
 *       TESTCONTAINERS_RYUK_DISABLED=true} is set;
 *   <li>otherwise the local server at 127.0.0.1:5432 as {@code postgres}.
 * </ol>
 *
 * {@value #MODE}{@code =testcontainers} insists on the second (and fails at once, saying why, where
 * it cannot be had); {@code =local} skips it. Tests never use its databases directly: each gets its
 * own (see {@link TestDatabase}).
 */
public final class PostgresServer {

  public static final String ENV = "EVENT_WORKER_TEST_DATABASE_URL";
  public static final String MODE = "EVENT_WORKER_TEST_POSTGRES";
  private static final String IMAGE = "postgres:15-alpine";
  // The images Testcontainers 2.0 starts for itself, hard-coded in RyukContainer and
  // DockerClientFactory: check them on upgrades.
  private static final String RYUK_IMAGE = "testcontainers/ryuk:0.14.0";
  private static final String TINY_IMAGE = "alpine:3.17";
  private static final String LOCAL = "postgresql://postgres@127.0.0.1:5432/postgres";

  private static PostgresServer instance;

  private final String host;
  private final int port;
  private final String user;
  private final String password;
  private final String adminDatabase;
  private final String description;

  private PostgresServer(String url, String source) {
    URI uri = URI.create(url.replaceFirst("^postgres(ql)?://", "postgresql://"));
    this.host = uri.getHost();
    this.port = uri.getPort() == -1 ? 5432 : uri.getPort();
    String info = uri.getRawUserInfo() == null ? "postgres" : uri.getRawUserInfo();
    int colon = info.indexOf(':');
    this.user =
        URLDecoder.decode(colon < 0 ? info : info.substring(0, colon), StandardCharsets.UTF_8);
    this.password =
        colon < 0 ? null : URLDecoder.decode(info.substring(colon + 1), StandardCharsets.UTF_8);
    String path = uri.getPath() == null ? "" : uri.getPath().replaceFirst("^/", "");
    this.adminDatabase = path.isEmpty() ? "postgres" : path;
    this.description = source + " at " + host + ":" + port + " as " + user;
  }

  /** The server, chosen and checked on first use. */
  public static synchronized PostgresServer get() {
    if (instance == null) {
      instance = choose();
      String version = instance.serverVersion();
      System.out.println(
          "[event-worker tests] PostgreSQL: " + instance.description + ", " + version);
      if (!version.startsWith("PostgreSQL 15")) {
        System.out.println(
            "[event-worker tests] WARNING: the worker targets PostgreSQL 15; this server is "
                + version);
      }
    }
    return instance;
  }

  private static PostgresServer choose() {
    String url = System.getenv(ENV);
    if (url != null && !url.isBlank()) {
      return new PostgresServer(url.trim(), ENV);
    }
    String mode = System.getenv().getOrDefault(MODE, "auto").trim();
    if (!List.of("auto", "testcontainers", "local").contains(mode)) {
      throw new IllegalStateException(
          MODE + "=" + mode + ": expected auto, testcontainers or local");
    }
    String unavailable = mode.equals("local") ? MODE + "=local" : whyNoContainer();
    if (unavailable == null) {
      return startContainer();
    }
    if (mode.equals("testcontainers")) {
      throw new IllegalStateException(MODE + "=testcontainers, but " + unavailable);
    }
    return new PostgresServer(LOCAL, "local server (" + unavailable + ")");
  }

  /** Why Testcontainers cannot be used here, or null if it can. */
  private static String whyNoContainer() {
    DockerImages engine = DockerImages.ofEngine();
    if (engine == null) {
      return "no Docker engine answers";
    }
    if (!engine.presentOrPulled(IMAGE)) {
      return "the Docker engine has no "
          + IMAGE
          + " and cannot pull it (deploy/local/images.sh builds one)";
    }
    boolean ryukDisabled = Boolean.parseBoolean(System.getenv("TESTCONTAINERS_RYUK_DISABLED"));
    if (!ryukDisabled && !engine.presentOrPulled(RYUK_IMAGE)) {
      return "the Docker engine has no "
          + RYUK_IMAGE
          + " and cannot pull it (set TESTCONTAINERS_RYUK_DISABLED=true)";
    }
    // Inside a container Testcontainers finds the engine's host by running its tiny image, unless
    // told.
    boolean hostGiven = System.getenv("TESTCONTAINERS_HOST_OVERRIDE") != null;
    if (Files.exists(Path.of("/.dockerenv")) && !hostGiven && !engine.presentOrPulled(TINY_IMAGE)) {
      return "these tests run inside a container and the Docker engine has no "
          + TINY_IMAGE
          + " to find its host with (set TESTCONTAINERS_HOST_OVERRIDE, for example to localhost)";
    }
    return null;
  }

  private static PostgresServer startContainer() {
    PostgreSQLContainer container = new PostgreSQLContainer(IMAGE);
    container.start();
    Runtime.getRuntime().addShutdownHook(new Thread(container::stop));
    return new PostgresServer(
        "postgresql://"
            + container.getUsername()
            + ":"
            + container.getPassword()
            + "@"
            + container.getHost()
            + ":"
            + container.getMappedPort(5432)
            + "/"
            + container.getDatabaseName(),
        "Testcontainers "
            + IMAGE
            + " ("
            + container.getContainerName().replaceFirst("^/", "")
            + ")");
  }

  /**
   * A {@code postgresql://} URL of database {@code name} on this server, as DATABASE_URL takes it.
   */
  public String url(String name) {
    String credentials = password == null ? user : user + ":" + password;
    return "postgresql://" + credentials + "@" + host + ":" + port + "/" + name;
  }

  /** A DATABASE_URL of the maintenance database, for commands that create databases themselves. */
  public String adminUrl() {
    return url(adminDatabase);
  }

  public String host() {
    return host;
  }

  public int port() {
    return port;
  }

  public String user() {
    return user;
  }

  /** The password, or null (trust authentication). */
  public String password() {
    return password;
  }

  /** A new auto-commit connection to database {@code name}. */
  public Connection connect(String name) throws SQLException {
    Properties props = new Properties();
    props.setProperty("user", user);
    if (password != null) {
      props.setProperty("password", password);
    }
    return DriverManager.getConnection(
        "jdbc:postgresql://" + host + ":" + port + "/" + name, props);
  }

  /** A new connection to database {@code name} as another role. */
  public Connection connect(String name, String role, String rolePassword) throws SQLException {
    Properties props = new Properties();
    props.setProperty("user", role);
    if (rolePassword != null) {
      props.setProperty("password", rolePassword);
    }
    return DriverManager.getConnection(
        "jdbc:postgresql://" + host + ":" + port + "/" + name, props);
  }

  /** A DATABASE_URL for database {@code name} as another role. */
  public String url(String name, String role, String rolePassword) {
    return "postgresql://" + role + ":" + rolePassword + "@" + host + ":" + port + "/" + name;
  }

  /** Runs one statement in the maintenance database (CREATE / DROP DATABASE). */
  public void admin(String sql) throws SQLException {
    try (Connection c = connect(adminDatabase);
        Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }

  private String serverVersion() {
    try (Connection c = connect(adminDatabase);
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT split_part(version(), ' on ', 1)")) {
      rs.next();
      return rs.getString(1);
    } catch (SQLException e) {
      throw new IllegalStateException(
          "cannot reach the test PostgreSQL (" + description + "); start it, or set " + ENV, e);
    }
  }
}
