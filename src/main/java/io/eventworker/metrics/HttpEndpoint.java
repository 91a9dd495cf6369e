package io.eventworker.metrics;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.eventworker.json.Json;
import io.eventworker.runtime.DaemonThreads;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * The worker's only HTTP surface, read-only: {@code GET /metrics} (Prometheus text), {@code GET
 * /health/live} and {@code GET /health/ready} (200 or 503), and {@code GET /}, the console, once
 * one is given. Anything else is 404 or 405.
 */
public final class HttpEndpoint implements AutoCloseable {

  private static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

  private static final String CONSOLE_POLICY =
      "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none';"
          + " form-action 'none'; base-uri 'none'";

  // The JDK's server writes a response's headers and its body apart; with Nagle's algorithm on, a
  // keep-alive client's delayed ACK then holds each response back 40 ms. Read when the first
  // server is made.
  static {
    if (System.getProperty("sun.net.httpserver.nodelay") == null) {
      System.setProperty("sun.net.httpserver.nodelay", "true");
    }
  }

  private final HttpServer server;
  private final ExecutorService executor;
  private volatile Supplier<Reply> console;

  /**
   * @param readiness returns null when ready, or the reason it is not
   * @param liveness returns null when alive, or the reason it is not
   */
  public HttpEndpoint(
      String host,
      int port,
      PrometheusMeterRegistry registry,
      Supplier<String> liveness,
      Supplier<String> readiness)
      throws IOException {
    server = HttpServer.create(new InetSocketAddress(host, port), 16);
    // Two threads: a slow readiness probe (database down) must not hold up a metrics scrape.
    executor = Executors.newFixedThreadPool(2, DaemonThreads.named("event-worker-http"));
    server.setExecutor(executor);
    server.createContext(
        "/",
        exchange -> {
          Supplier<Reply> page = console;
          if (page == null) {
            respond(exchange, 404, "text/plain", "not found\n");
          } else {
            get(exchange, page);
          }
        });
    server.createContext(
        "/metrics",
        exchange -> get(exchange, () -> new Reply(200, PROMETHEUS_TEXT, registry.scrape())));
    server.createContext("/health/live", exchange -> get(exchange, () -> health(liveness.get())));
    server.createContext("/health/ready", exchange -> get(exchange, () -> health(readiness.get())));
  }

  /** Serves {@code page} at {@code GET /} (the console); without it, {@code /} is 404. */
  public HttpEndpoint withConsole(Supplier<Reply> page) {
    console = page;
    return this;
  }

  public HttpEndpoint start() {
    server.start();
    return this;
  }

  /** The bound port (useful when configured as 0). */
  public int port() {
    return server.getAddress().getPort();
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }

  /** A status, a content type and a body to send. */
  public record Reply(int status, String contentType, String body) {}

  private static Reply health(String problem) {
    ObjectNode body = Json.MAPPER.createObjectNode().put("status", problem == null ? "UP" : "DOWN");
    if (problem != null) {
      body.put("reason", problem);
    }
    return new Reply(problem == null ? 200 : 503, "application/json", body + "\n");
  }

  private static void get(HttpExchange exchange, Supplier<Reply> handler) throws IOException {
    String method = exchange.getRequestMethod();
    if (!exchange.getRequestURI().getPath().equals(exchange.getHttpContext().getPath())) {
      respond(exchange, 404, "text/plain", "not found\n");
    } else if (!method.equals("GET") && !method.equals("HEAD")) {
      exchange.getResponseHeaders().set("Allow", "GET, HEAD");
      respond(exchange, 405, "text/plain", "method not allowed\n");
    } else {
      Reply reply = handler.get();
      respond(exchange, reply.status(), reply.contentType(), reply.body());
    }
  }

  private static void respond(HttpExchange exchange, int status, String type, String body)
      throws IOException {
    try (exchange) {
      byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", type);
      exchange.getResponseHeaders().set("Cache-Control", "no-store");
      exchange.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
      if (type.startsWith("text/html")) {
        // The console's second line of defence after escaping: no script, no outside resource.
        exchange.getResponseHeaders().set("Content-Security-Policy", CONSOLE_POLICY);
      }
      boolean head = exchange.getRequestMethod().equals("HEAD");
      exchange.sendResponseHeaders(status, head ? -1 : bytes.length);
      if (!head) {
        try (OutputStream out = exchange.getResponseBody()) {
          out.write(bytes);
        }
      }
    }
  }
}
