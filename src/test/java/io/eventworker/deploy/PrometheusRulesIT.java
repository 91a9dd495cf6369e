package io.eventworker.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.eventworker.testing.Programs;
import java.io.File;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** promtool accepts the Prometheus config and rules, and every alert is tested both ways. */
@Tag("deploy")
class PrometheusRulesIT {

  private static final Path DIR = Path.of("deploy/prometheus");
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final Set<String> REQUIRED =
      Set.of(
          "PostgresDown",
          "PostgresConnectionsHigh",
          "PostgresReplicationLag",
          "PostgresStandbyDisconnected",
          "EventWorkerDown",
          "EventWorkerNotReady",
          "EventQueueBacklog",
          "EventOldestPendingTooOld",
          "EventTypeUnhandled",
          "EventFailureRate",
          "EventWorkerNoProgress",
          "BackupMissing");

  @Test
  void promtoolAcceptsTheConfigAndTheRules() {
    String promtool = Programs.require("promtool");
    assertPromtool(promtool, "check", "config", "prometheus.yml");
    assertPromtool(promtool, "check", "rules", "alerts.yml");
    String tests = assertPromtool(promtool, "test", "rules", "alerts_test.yml");
    assertTrue(tests.contains("SUCCESS"), tests);
  }

  @Test
  void scrapesTheWorkerAndTheExporterEvery15Seconds() throws Exception {
    JsonNode config = YAML.readTree(DIR.resolve("prometheus.yml").toFile());
    assertEquals("15s", config.at("/global/scrape_interval").asText());
    Set<String> targets = new TreeSet<>();
    for (JsonNode job : config.get("scrape_configs")) {
      job.at("/static_configs")
          .forEach(sc -> sc.get("targets").forEach(t -> targets.add(t.asText())));
    }
    assertTrue(
        targets.containsAll(Set.of("worker:8080", "postgres-exporter:9187")), targets.toString());
  }

  @Test
  void everyRequiredAlertExistsAndHasAFiringAndAQuietTest() throws Exception {
    Set<String> alerts = new TreeSet<>();
    for (JsonNode group : YAML.readTree(DIR.resolve("alerts.yml").toFile()).get("groups")) {
      for (JsonNode rule : group.get("rules")) {
        if (rule.has("alert")) {
          alerts.add(rule.get("alert").asText());
        }
      }
    }
    assertTrue(alerts.containsAll(REQUIRED), "missing alerts: " + REQUIRED + " vs " + alerts);
    Set<String> fires = new TreeSet<>();
    Set<String> quiet = new TreeSet<>();
    for (JsonNode test : YAML.readTree(DIR.resolve("alerts_test.yml").toFile()).get("tests")) {
      for (JsonNode check : test.path("alert_rule_test")) {
        String name = check.get("alertname").asText();
        (check.path("exp_alerts").isEmpty() ? quiet : fires).add(name);
      }
    }
    for (String alert : alerts) {
      assertTrue(fires.contains(alert), alert + " has no test in which it fires");
      assertTrue(quiet.contains(alert), alert + " has no test in which it stays quiet");
    }
  }

  private static String assertPromtool(String promtool, String... args) {
    String[] command = new String[args.length + 1];
    command[0] = promtool;
    System.arraycopy(args, 0, command, 1, args.length);
    Programs.Result r = Programs.run(Map.of(), Duration.ofSeconds(60), inDir(command));
    assertEquals(0, r.status(), String.join(" ", args) + ":\n" + r.output());
    return r.output();
  }

  /** promtool resolves rule files relative to the file it reads: run it from deploy/prometheus. */
  private static String[] inDir(String[] command) {
    return new String[] {
      "sh",
      "-c",
      "cd " + DIR + " && exec \"$@\"",
      "promtool-in-dir",
      command[0],
      command[1],
      command[2],
      command.length > 3 ? command[3] : ""
    };
  }

  static File file(String name) {
    return DIR.resolve(name).toFile();
  }
}
