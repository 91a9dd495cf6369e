package io.eventworker.deploy;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.eventworker.testing.Programs;
import io.eventworker.testing.WorkerProcess;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * deploy/alertmanager with the real alertmanager and amtool: the file is valid, every rule of
 * deploy/prometheus/alerts.yml reaches the receiver its severity names, the inhibit rules name
 * real alerts, and a database outage silences the worker alerts it causes, nothing else.
 */
class AlertmanagerIT {

  private static final Path CONFIG = Path.of("deploy/alertmanager/alertmanager.yml");
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  /** Starts alertmanager on {@code port} with deploy/alertmanager, alone (no cluster peers). */
  static Process start(int port, Path storage, Path log) throws IOException {
    return Programs.start(Map.of(), log, Programs.require("prometheus-alertmanager", "alertmanager"),
        "--config.file=" + CONFIG.toAbsolutePath(), "--storage.path=" + storage,
        "--web.listen-address=127.0.0.1:" + port, "--cluster.listen-address=");
  }

  @Test
  void everyRuleReachesTheReceiverOfItsSeverity() throws Exception {
    String amtool = Programs.require("amtool");
    Programs.Result check = Programs.run(Map.of(), Duration.ofSeconds(30), amtool, "check-config", CONFIG.toString());
    assertEquals(0, check.status(), check.output());
    Map<String, String> severities = severities();
    assertTrue(severities.size() >= 10, severities.toString());
    for (Map.Entry<String, String> rule : severities.entrySet()) {
      Programs.Result route = Programs.run(Map.of(), Duration.ofSeconds(30), amtool, "config", "routes", "test",
          "--config.file=" + CONFIG, "alertname=" + rule.getKey(), "severity=" + rule.getValue());
      assertEquals(0, route.status(), route.output());
      String expected = rule.getValue().equals("critical") ? "oncall" : "team";
      assertEquals(expected, route.output().lines().filter(l -> !l.startsWith("Warning")).reduce((a, b) -> b).orElse("").trim(),
          rule + " is routed to " + expected);
    }
  }

  @Test
  void theInhibitRulesNameRealAlerts() throws Exception {
    Set<String> rules = severities().keySet();
    Set<String> named = new TreeSet<>();
    Pattern alertname = Pattern.compile("alertname=~?\"([^\"]+)\"");
    for (JsonNode rule : YAML.readTree(CONFIG.toFile()).get("inhibit_rules")) {
      for (String side : new String[] {"source_matchers", "target_matchers"}) {
        for (JsonNode matcher : rule.get(side)) {
          Matcher m = alertname.matcher(matcher.asText());
          if (m.matches()) {
            named.addAll(Set.of(m.group(1).split("\\|")));
          }
        }
      }
    }
    assertTrue(named.size() >= 6, named.toString());
    Set<String> unknown = new TreeSet<>(named);
    unknown.removeAll(rules);
    assertTrue(unknown.isEmpty(), "inhibit rules name alerts that alerts.yml does not have: " + unknown);
  }

  @Test
  void aDatabaseOutageSilencesTheWorkerAlertsItCauses() throws Exception {
    int port = WorkerProcess.freePort();
    Process alertmanager = start(port, dir.resolve("data"), dir.resolve("alertmanager.log"));
    try {
      String api = "http://127.0.0.1:" + port + "/api/v2/";
      String alerts = """
          [{"labels": {"alertname": "PostgresDown", "problem": "database", "severity": "critical"}},
           {"labels": {"alertname": "EventWorkerNoProgress", "severity": "critical"}},
           {"labels": {"alertname": "BackupMissing", "problem": "stale", "kind": "dump", "severity": "critical"}},
           {"labels": {"alertname": "EventFailureRate", "type": "metric", "severity": "warning"}}]
          """;
      await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> post(api + "alerts", alerts) == 200);
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertEquals(
          Map.of("PostgresDown", "active", "EventWorkerNoProgress", "suppressed", "BackupMissing", "suppressed",
              "EventFailureRate", "active"),
          states(api)));
    } finally {
      alertmanager.destroy();
      alertmanager.waitFor();
    }
  }

  /** alertname to severity for every rule of deploy/prometheus/alerts.yml. */
  private static Map<String, String> severities() throws IOException {
    Map<String, String> severities = new HashMap<>();
    for (JsonNode group : YAML.readTree(Path.of("deploy/prometheus/alerts.yml").toFile()).get("groups")) {
      for (JsonNode rule : group.get("rules")) {
        severities.put(rule.get("alert").asText(), rule.at("/labels/severity").asText());
      }
    }
    return severities;
  }

  private static Map<String, String> states(String api) throws Exception {
    HttpResponse<String> r = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create(api + "alerts")).build(), HttpResponse.BodyHandlers.ofString());
    Map<String, String> states = new HashMap<>();
    for (JsonNode alert : JSON.readTree(r.body())) {
      states.put(alert.at("/labels/alertname").asText(), alert.at("/status/state").asText());
    }
    return states;
  }

  private static int post(String url, String body) throws Exception {
    return HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.discarding()).statusCode();
  }
}
