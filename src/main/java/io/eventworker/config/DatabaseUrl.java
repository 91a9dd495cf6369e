package io.eventworker.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A PostgreSQL location parsed from {@code postgresql://user:pass@host:port/db} (or several hosts,
 * {@code host1:port1,host2:port2}) or a {@code jdbc:postgresql:} URL, with the credentials kept
 * apart so they never reach a log line.
 */
public record DatabaseUrl(String jdbcUrl, String user, String password) {

  private static final int DEFAULT_PORT = 5432;
  // A host name or IPv4 address (letters, digits, '.', '-', '_'), or an IPv6 address in
  // brackets; then an optional port.
  private static final Pattern HOST_PORT =
      Pattern.compile("([A-Za-z0-9._-]+|\\[[0-9A-Za-z:.%]+])(?::([0-9]{0,10}))?");

  /** Parses {@code value}; {@code setting} names the variable it came from, for the error. */
  public static DatabaseUrl parse(String setting, String value) {
    String url = value.trim();
    if (url.startsWith("jdbc:postgresql:")) {
      return parseJdbc(setting, url);
    }
    if (!url.startsWith("postgresql://") && !url.startsWith("postgres://")) {
      throw new ConfigException(
          setting,
          mask(url),
          "expected postgresql://user:password@host:port/database or a jdbc:postgresql: URL");
    }
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      throw new ConfigException(setting, mask(url), "not a valid URL: " + e.getReason());
    }
    // The authority is read here, not by URI: URI takes a host name with an underscore (a
    // Compose container such as db_1, which libpq accepts) for no host at all.
    String authority = uri.getRawAuthority() == null ? "" : uri.getRawAuthority();
    int at = authority.lastIndexOf('@');
    String hostAndPort = authority.substring(at + 1);
    StringBuilder hosts = new StringBuilder();
    for (String one : hostAndPort.split(",", -1)) {
      hosts.append(hosts.length() == 0 ? "" : ",").append(hostWithPort(setting, url, one));
    }
    String database = uri.getRawPath() == null ? "" : uri.getRawPath().replaceFirst("^/", "");
    if (database.isEmpty()) {
      throw new ConfigException(setting, mask(url), "the URL names no database");
    }
    StringBuilder jdbc = new StringBuilder("jdbc:postgresql://").append(hosts).append('/');
    jdbc.append(database);
    if (uri.getRawQuery() != null) {
      jdbc.append('?').append(uri.getRawQuery());
    }
    ServerSelection.check(setting, mask(url), jdbc.toString());
    return withUserInfo(jdbc.toString(), at < 0 ? null : authority.substring(0, at));
  }

  /** One {@code host[:port]} of the URL's comma-separated list, as {@code host:port}. */
  private static String hostWithPort(String setting, String url, String hostAndPort) {
    if (hostAndPort.isEmpty() || hostAndPort.startsWith(":")) {
      throw new ConfigException(setting, mask(url), "the URL names no host");
    }
    Matcher hostPort = HOST_PORT.matcher(hostAndPort);
    if (!hostPort.matches()) {
      // Not quoted: where a password holds an unencoded '/', '?' or '#', the URL's authority ends
      // there, and what looks like the host is the user and the start of the password.
      throw new ConfigException(
          setting,
          mask(url),
          "the URL's host and port are not a host name or address and a port"
              + " (a password with '/', '?', '#' or '@' must be percent-encoded)");
    }
    long port =
        hostPort.group(2) == null || hostPort.group(2).isEmpty()
            ? DEFAULT_PORT
            : Long.parseLong(hostPort.group(2));
    if (port < 1 || port > 65_535) {
      throw new ConfigException(
          setting, mask(url), "port " + port + " is out of range (1 to 65535)");
    }
    return hostPort.group(1) + ":" + port;
  }

  private static DatabaseUrl parseJdbc(String setting, String url) {
    // Checked now: the driver's own error for a malformed URL quotes it, password and all.
    if (org.postgresql.Driver.parseURL(url, null) == null) {
      throw new ConfigException(setting, mask(url), "not a valid jdbc:postgresql: URL");
    }
    ServerSelection.check(setting, mask(url), url);
    return new DatabaseUrl(url, null, null);
  }

  /** The URL with the user and password of {@code userInfo} ({@code user[:password]}, encoded). */
  private static DatabaseUrl withUserInfo(String jdbc, String userInfo) {
    if (userInfo == null || userInfo.isEmpty()) {
      return new DatabaseUrl(jdbc, null, null);
    }
    int colon = userInfo.indexOf(':');
    String user = decode(colon < 0 ? userInfo : userInfo.substring(0, colon));
    String password = colon < 0 ? null : decode(userInfo.substring(colon + 1));
    return new DatabaseUrl(jdbc, user, password);
  }

  /** The same server and credentials, database {@code name}. */
  public DatabaseUrl withDatabase(String name) {
    int[] path = pathBounds();
    return new DatabaseUrl(
        jdbcUrl.substring(0, path[0]) + "/" + name + jdbcUrl.substring(path[1]), user, password);
  }

  /** The server's {@code host:port} (or several, comma-separated), from the URL, for messages. */
  public String hostAndPort() {
    int hosts = jdbcUrl.indexOf("//") + 2;
    return jdbcUrl.substring(hosts, pathBounds()[0]);
  }

  /** How many hosts the URL names: more than one for a primary with standbys. */
  public int hostCount() {
    return hostAndPort().split(",", -1).length;
  }

  /** The database's name, from the URL's path. */
  public String databaseName() {
    int[] path = pathBounds();
    return path[0] == path[1] ? "" : jdbcUrl.substring(path[0] + 1, path[1]);
  }

  /** Where the path ("/name") starts and ends in the JDBC URL; equal when there is none. */
  private int[] pathBounds() {
    int hosts = jdbcUrl.indexOf("//") + 2;
    int end = jdbcUrl.indexOf('?', hosts) < 0 ? jdbcUrl.length() : jdbcUrl.indexOf('?', hosts);
    int slash = jdbcUrl.indexOf('/', hosts);
    return new int[] {slash < 0 || slash > end ? end : slash, end};
  }

  /** The same location with {@code password} in place of the URL's own, if one is given. */
  public DatabaseUrl withPassword(String newPassword) {
    return newPassword == null ? this : new DatabaseUrl(jdbcUrl, user, newPassword);
  }

  /** The JDBC URL with any password in its query replaced by {@code ***}, for logs. */
  public String masked() {
    String shown = jdbcUrl.replaceAll("(?i)(password=)[^&]*", "$1***");
    return user == null ? shown : shown + " as " + user;
  }

  @Override
  public String toString() {
    return masked();
  }

  /**
   * Hides the password of a URL given in any of the accepted forms, including malformed ones: a
   * password may hold an unescaped '/' or '@', so everything between the user's ':' and the last
   * '@' is hidden.
   */
  public static String mask(String url) {
    String masked = url.replaceAll("(?i)(password=)[^&]*", "$1***");
    int scheme = masked.indexOf("://");
    int at = masked.lastIndexOf('@');
    if (scheme >= 0 && at > scheme) {
      int colon = masked.indexOf(':', scheme + 3);
      if (colon >= 0 && colon < at) {
        masked = masked.substring(0, colon + 1) + "***" + masked.substring(at);
      }
    }
    return masked;
  }

  private static String decode(String part) {
    return URLDecoder.decode(part.replace("+", "%2B"), StandardCharsets.UTF_8);
  }
}
