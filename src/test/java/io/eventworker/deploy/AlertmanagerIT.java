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
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * deploy/alertmanager with the real alertmanager and amtool: the file is valid, every rule of
 * deploy/prometheus/alerts.yml reaches the receiver its severity names, the inhibit rules name real
 * alerts, and a cause silences the alerts it causes, nothing else.
 */
@Tag("deploy")
class AlertmanagerIT {

  private static final Path CONFIG = Path.of("deploy/alertmanager/alertmanager.yml");
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  /** Starts alertmanager on {@code port} with deploy/alertmanager, alone (no cluster peers). */
  static Process start(int port, Path storage, Path log) throws IOException {
    return Programs.start(
        Map.of(),
        log,
        Programs.require("prometheus-alertmanager", "alertmanager"),
        "--config.file=" + CONFIG.toAbsolutePath(),
        "--storage.path=" + storage,
        "--web.listen-address=127.0.0.1:" + port,
        "--cluster.listen-address=");
  }

  @Test
  void everyRuleReachesTheReceiverOfItsSeverity() throws Exception {
    String amtool = Programs.require("amtool");
    Programs.Result check =
        Programs.run(Map.of(), Duration.ofSeconds(30), amtool, "check-config", CONFIG.toString());
    assertEquals(0, check.status(), check.output());
    List<JsonNode> rules = rules();
    assertTrue(rules.size() >= 12, rules.toString());
    for (JsonNode rule : rules) {
      List<String> labels = new ArrayList<>(List.of("alertname=" + rule.get("alert").asText()));
      rule.get("labels")
          .fields()
          .forEachRemaining(l -> labels.add(l.getKey() + "=" + l.getValue().asText()));
      List<String> command =
          new ArrayList<>(List.of(amtool, "config", "routes", "test", "--config.file=" + CONFIG));
      command.addAll(labels);
      Programs.Result route =
          Programs.run(Map.of(), Duration.ofSeconds(30), command.toArray(String[]::new));
      assertEquals(0, route.status(), route.output());
      String expected = rule.at("/labels/severity").asText().equals("critical") ? "oncall" : "team";
      assertEquals(
          expected,
          route
              .output()
              .lines()
              .filter(l -> !l.startsWith("Warning"))
              .reduce((a, b) -> b)
              .orElse("")
              .trim(),
          labels + " is routed to " + expected);
    }
  }

  @Test
  void theInhibitRulesNameRealAlerts() throws Exception {
    Set<String> rules = new TreeSet<>(rules().stream().map(r -> r.get("alert").asText()).toList());
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
    assertTrue(
        unknown.isEmpty(), "inhibit rules name alerts that alerts.yml does not have: " + unknown);
  }

  @Test
  void theDatabaseDownSilencesTheWorkerAndBackupAlertsItCauses() throws Exception {
    assertStatesAfterPosting(
        alerts(
            "PostgresDown",
            "problem=database",
            "EventWorkerNoProgress",
            "",
            "EventOldestPendingTooOld",
            "type=metric",
            "EventTypeUnhandled",
            "type=invoice",
            "BackupMissing",
            "problem=stale,kind=dump",
            "EventFailureRate",
            "type=metric"),
        Map.of(
            "PostgresDown",
            "active",
            "EventWorkerNoProgress",
            "suppressed",
            "EventOldestPendingTooOld",
            "suppressed",
            "EventTypeUnhandled",
            "suppressed",
            "BackupMissing",
            "suppressed",
            "EventFailureRate",
            "active"));
  }

  @Test
  void theExporterDownSilencesOnlyTheBackupAlertAndAWorkerDownNothing() throws Exception {
    assertStatesAfterPosting(
        alerts(
            "PostgresDown",
            "problem=exporter",
            "BackupMissing",
            "problem=never,kind=base",
            "EventWorkerNotReady",
            "instance=worker-2:8080",
            "EventWorkerDown",
            "instance=worker-1:8080",
            "EventQueueBacklog",
            "type=metric"),
        Map.of(
            "PostgresDown",
            "active",
            "BackupMissing",
            "suppressed",
            "EventWorkerNotReady",
            "active",
            "EventWorkerDown",
            "active",
            "EventQueueBacklog",
            "active"));
  }

  /**
   * Posts {@code alerts} to a fresh alertmanager; waits until their states are {@code expected}.
   */
  private void assertStatesAfterPosting(String alerts, Map<String, String> expected)
      throws Exception {
    int port = WorkerProcess.freePort();
    Process alertmanager = start(port, dir.resolve("data"), dir.resolve("alertmanager.log"));
    try {
      String api = "http://127.0.0.1:" + port + "/api/v2/";
      await()
          .atMost(Duration.ofSeconds(30))
          .ignoreExceptions()
          .until(() -> post(api + "alerts", "[]") == 200);
      assertEquals(200, post(api + "alerts", alerts));
      await()
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(() -> assertEquals(expected, states(api)));
    } finally {
      alertmanager.destroy();
      if (!alertmanager.waitFor(10, TimeUnit.SECONDS)) {
        alertmanager.destroyForcibly().waitFor();
      }
    }
  }

  /** Alerts as the v2 API takes them: name, then labels as {@code k=v,k=v}, in pairs. */
  private static String alerts(String... nameAndLabels) {
    StringBuilder json = new StringBuilder("[");
    for (int i = 0; i < nameAndLabels.length; i += 2) {
      json.append(i == 0 ? "" : ",")
          .append("{\"labels\": {\"alertname\": \"")
          .append(nameAndLabels[i])
          .append('"');
      for (String label : nameAndLabels[i + 1].split(",")) {
        if (!label.isEmpty()) {
          String[] kv = label.split("=", 2);
          json.append(", \"").append(kv[0]).append("\": \"").append(kv[1]).append('"');
        }
      }
      json.append("}}");
    }
    return json.append(']').toString();
  }

  /** Every rule of deploy/prometheus/alerts.yml. */
  private static List<JsonNode> rules() throws IOException {
    List<JsonNode> rules = new ArrayList<>();
    for (JsonNode group :
        YAML.readTree(Path.of("deploy/prometheus/alerts.yml").toFile()).get("groups")) {
      group.get("rules").forEach(rules::add);
    }
    return rules;
  }

  private static Map<String, String> states(String api) throws Exception {
    HttpResponse<String> r =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create(api + "alerts")).build(),
                HttpResponse.BodyHandlers.ofString());
    Map<String, String> states = new HashMap<>();
    for (JsonNode alert : JSON.readTree(r.body())) {
      states.put(alert.at("/labels/alertname").asText(), alert.at("/status/state").asText());
    }
    return states;
  }

  private static int post(String url, String body) throws Exception {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(URI.create(url))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build(),
            HttpResponse.BodyHandlers.discarding())
        .statusCode();
  }
}
