package io.eventworker.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eventworker.testing.Programs;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * deploy/kubernetes renders with kubectl kustomize, every object is valid against the Kubernetes
 * API and the KEDA and Prometheus Operator CRD schemas, and the objects hold what the worker needs.
 */
@Tag("deploy")
class KubernetesManifestsIT {

  private static final Path VALIDATOR = Kustomize.ROOT.resolve("validate");
  private static final List<String> KINDS =
      List.of(
          "Deployment/event-worker",
          "Job/event-worker-migrate",
          "Service/event-worker",
          "PodDisruptionBudget/event-worker",
          "ServiceMonitor/event-worker",
          "PrometheusRule/event-worker",
          "ScaledObject/event-worker",
          "TriggerAuthentication/event-worker-database");

  @ParameterizedTest
  @ValueSource(strings = {"base", "overlays/example"})
  void rendersAndEveryObjectMatchesItsSchema(String tree) throws Exception {
    Programs.Result r = validate(Kustomize.renderText(tree));
    assertEquals(0, r.status(), r.output());
    for (String object : KINDS) {
      assertTrue(
          r.output().contains("ok " + object + "\n"), object + " not validated:\n" + r.output());
    }
    int objects = Kustomize.render(tree).size();
    assertTrue(r.output().contains(objects + " objects, 0 invalid"), r.output());
  }

  @Test
  void theValidatorRejectsAMisspelledFieldAWrongTypeAndAMissingOne() throws Exception {
    List<JsonNode> objects = Kustomize.render("base");
    ObjectNode misspelled = Kustomize.find(objects, "Deployment", "event-worker").deepCopy();
    ObjectNode security = (ObjectNode) container(misspelled).get("securityContext");
    security.set("readOnlyRootFileSystem", security.remove("readOnlyRootFilesystem"));
    ObjectNode wrongType = Kustomize.find(objects, "Job", "event-worker-migrate").deepCopy();
    ((ObjectNode) wrongType.get("spec")).put("backoffLimit", "six");
    ObjectNode scaler = Kustomize.find(objects, "ScaledObject", "event-worker").deepCopy();
    ((ObjectNode) scaler.get("spec")).set("maxReplicaCont", scaler.at("/spec/maxReplicaCount"));
    ObjectNode rule = Kustomize.find(objects, "PrometheusRule", "event-worker").deepCopy();
    ObjectNode first = (ObjectNode) rule.at("/spec/groups/0/rules/0");
    first.set("exprr", first.remove("expr"));
    ObjectNode monitor = Kustomize.find(objects, "ServiceMonitor", "event-worker").deepCopy();
    ((ObjectNode) monitor.get("spec")).remove("endpoints");
    StringBuilder yaml = new StringBuilder();
    for (JsonNode broken : List.of(misspelled, wrongType, scaler, rule, monitor)) {
      yaml.append("---\n").append(Kustomize.YAML.writeValueAsString(broken));
    }
    Programs.Result r = validate(yaml.toString());
    assertEquals(1, r.status(), r.output());
    String out = r.output();
    assertTrue(
        out.contains(
            "invalid Deployment/event-worker: unknown field(s) spec.template.spec"
                + ".containers[0].securityContext.readOnlyRootFileSystem"),
        out);
    assertTrue(
        out.contains("invalid Job/event-worker-migrate: data/spec/backoffLimit must be integer"),
        out);
    assertTrue(
        out.contains("invalid ScaledObject/event-worker: unknown field(s) spec.maxReplicaCont"),
        out);
    assertTrue(out.contains("invalid PrometheusRule/event-worker:"), out);
    assertTrue(out.contains("invalid ServiceMonitor/event-worker:"), out);
    assertTrue(out.contains("5 objects, 5 invalid"), out);
  }

  @ParameterizedTest
  @ValueSource(strings = {"base", "overlays/example"})
  void theWorkerRunsAsTheImageExpects(String tree) throws Exception {
    List<JsonNode> objects = Kustomize.render(tree);
    JsonNode deployment = Kustomize.find(objects, "Deployment", "event-worker");
    JsonNode pod = deployment.at("/spec/template/spec");
    JsonNode worker = container(deployment);
    Map<String, JsonNode> env = env(worker);
    assertTrue(deployment.at("/spec/replicas").isMissingNode(), "the ScaledObject owns replicas");
    long shutdown = seconds(env.get("SHUTDOWN_TIMEOUT").path("value").asText());
    long grace = pod.path("terminationGracePeriodSeconds").asLong();
    assertTrue(
        grace >= shutdown + 10, "grace " + grace + " s vs SHUTDOWN_TIMEOUT " + shutdown + " s");
    assertEquals("/health/live", worker.at("/livenessProbe/httpGet/path").asText());
    assertEquals("/health/live", worker.at("/startupProbe/httpGet/path").asText());
    assertEquals("/health/ready", worker.at("/readinessProbe/httpGet/path").asText());
    JsonNode port = worker.at("/ports/0");
    assertEquals("metrics", port.path("name").asText());
    assertEquals(env.get("HTTP_PORT").path("value").asInt(), port.path("containerPort").asInt());
    for (String probe : List.of("livenessProbe", "startupProbe", "readinessProbe")) {
      assertEquals("metrics", worker.at("/" + probe + "/httpGet/port").asText(), probe);
    }
    assertEquals("run", worker.at("/args/0").asText());
    int threads = env.get("WORKER_THREADS").path("value").asInt();
    assertTrue(env.get("DB_POOL_SIZE").path("value").asInt() >= threads + 1, env.toString());
    assertLockedDown(pod, worker);
    assertPasswordFromSecret(env, "app_user", "worker-password");
    assertMemoryFitsTheJvmFlags(worker);
    JsonNode job = Kustomize.find(objects, "Job", "event-worker-migrate");
    JsonNode migrate = container(job);
    assertEquals("migrate", migrate.at("/args/0").asText());
    assertEquals("Never", job.at("/spec/template/spec/restartPolicy").asText());
    assertLockedDown(job.at("/spec/template/spec"), migrate);
    assertPasswordFromSecret(env(migrate), "mockuser", "owner-password");
    assertMemoryFitsTheJvmFlags(migrate);
  }

  @ParameterizedTest
  @ValueSource(strings = {"base", "overlays/example"})
  void theScalerCountsTheWorkersDatabaseUpToWhatTheHpaCanUse(String tree) throws Exception {
    List<JsonNode> objects = Kustomize.render(tree);
    JsonNode spec = Kustomize.find(objects, "ScaledObject", "event-worker").get("spec");
    assertEquals("event-worker", spec.at("/scaleTargetRef/name").asText());
    assertEquals(0, spec.path("minReplicaCount").asInt());
    int max = spec.path("maxReplicaCount").asInt();
    JsonNode trigger = Kustomize.scalerTrigger(objects);
    JsonNode meta = trigger.get("metadata");
    long target = meta.path("targetQueryValue").asLong();
    assertEquals(0, meta.path("activationTargetQueryValue").asLong());
    Matcher limit = Pattern.compile("LIMIT (\\d+)\\)").matcher(meta.path("query").asText());
    assertTrue(limit.find(), meta.path("query").asText());
    assertEquals(target * max, Long.parseLong(limit.group(1)), "the count's cap is max x target");
    JsonNode worker = container(Kustomize.find(objects, "Deployment", "event-worker"));
    Map<String, JsonNode> env = env(worker);
    URI url = URI.create(env.get("DATABASE_URL").path("value").asText());
    assertEquals(url.getHost(), meta.path("host").asText());
    assertEquals(String.valueOf(url.getPort()), meta.path("port").asText());
    assertEquals(url.getPath().substring(1), meta.path("dbName").asText());
    assertEquals("readonly_user", meta.path("userName").asText());
    String auth = trigger.at("/authenticationRef/name").asText();
    JsonNode ref =
        Kustomize.find(objects, "TriggerAuthentication", auth).at("/spec/secretTargetRef/0");
    assertEquals("password", ref.path("parameter").asText());
    assertEquals("event-worker-database", ref.path("name").asText());
    assertEquals("scaler-password", ref.path("key").asText());
    int pool = env.get("DB_POOL_SIZE").path("value").asInt();
    assertTrue(max * pool + 10 <= maxConnections(), max + " x " + pool + " connections");
    JsonNode behavior = spec.at("/advanced/horizontalPodAutoscalerConfig/behavior");
    Autoscaler.Settings simulated =
        new Autoscaler.Settings(
            target,
            meta.path("activationTargetQueryValue").asLong(),
            max,
            spec.path("cooldownPeriod").asInt(),
            behavior.at("/scaleDown/stabilizationWindowSeconds").asInt(),
            behavior.at("/scaleUp/policies/0/value").asInt(),
            behavior.at("/scaleUp/policies/0/periodSeconds").asInt(),
            behavior.at("/scaleDown/policies/0/value").asInt(),
            behavior.at("/scaleDown/policies/0/periodSeconds").asInt());
    assertEquals(simulated, Autoscaler.Settings.MANIFEST, "AutoscalerTest simulates the manifest");
    assertEquals("Pods", behavior.at("/scaleUp/policies/0/type").asText());
    assertEquals(0, behavior.at("/scaleUp/stabilizationWindowSeconds").asInt());
    assertEquals(
        spec.path("pollingInterval").asInt(), BurstSimulation.Model.MEASURED.pollSeconds());
  }

  @Test
  void theExampleOverlayGeneratesEveryKeyTheObjectsRead() throws Exception {
    List<JsonNode> objects = Kustomize.render("overlays/example");
    JsonNode secret = Kustomize.find(objects, "Secret", "event-worker-database");
    List<String> keys = new ArrayList<>();
    for (JsonNode object : objects) {
      assertEquals("event-worker", object.at("/metadata/namespace").asText(), object.toString());
      object.findValues("secretKeyRef").forEach(ref -> keys.add(ref.path("key").asText()));
      object.at("/spec/secretTargetRef").forEach(ref -> keys.add(ref.path("key").asText()));
    }
    assertEquals(3, keys.size(), keys.toString());
    for (String key : keys) {
      assertTrue(secret.at("/data/" + key).isTextual(), key + " missing from " + secret);
    }
    JsonNode worker = container(Kustomize.find(objects, "Deployment", "event-worker"));
    assertEquals("event-worker:0.1.0", worker.path("image").asText());
  }

  @Test
  void thePrometheusRuleHoldsTheComposeAlertsAndTheMonitorScrapesTheService() throws Exception {
    List<JsonNode> objects = Kustomize.render("base");
    JsonNode alerts = Kustomize.YAML.readTree(Path.of("deploy/prometheus/alerts.yml").toFile());
    JsonNode rule = Kustomize.find(objects, "PrometheusRule", "event-worker");
    assertEquals(
        alerts.get("groups"),
        rule.at("/spec/groups"),
        "prometheus-rule.yaml differs from deploy/prometheus/alerts.yml: run "
            + "node deploy/kubernetes/validate/prometheus-rule.mjs");
    JsonNode service = Kustomize.find(objects, "Service", "event-worker");
    JsonNode monitor = Kustomize.find(objects, "ServiceMonitor", "event-worker");
    assertEquals(service.at("/metadata/labels"), monitor.at("/spec/selector/matchLabels"));
    assertEquals(
        service.at("/spec/ports/0/name").asText(), monitor.at("/spec/endpoints/0/port").asText());
    JsonNode template =
        Kustomize.find(objects, "Deployment", "event-worker").at("/spec/template/metadata/labels");
    assertEquals(template, service.at("/spec/selector"));
    JsonNode pdb = Kustomize.find(objects, "PodDisruptionBudget", "event-worker");
    assertEquals(template, pdb.at("/spec/selector/matchLabels"));
    assertEquals(1, pdb.at("/spec/maxUnavailable").asInt());
  }

  private static void assertLockedDown(JsonNode pod, JsonNode container) {
    assertTrue(pod.at("/securityContext/runAsNonRoot").asBoolean(), pod.toString());
    assertEquals(10001, pod.at("/securityContext/runAsUser").asInt(), "the image's UID");
    assertFalse(pod.path("automountServiceAccountToken").asBoolean(true));
    JsonNode security = container.get("securityContext");
    assertTrue(security.path("readOnlyRootFilesystem").asBoolean(), security.toString());
    assertFalse(security.path("allowPrivilegeEscalation").asBoolean(true), security.toString());
    assertEquals("ALL", security.at("/capabilities/drop/0").asText());
    String volume = null;
    for (JsonNode mount : container.path("volumeMounts")) {
      if ("/tmp".equals(mount.path("mountPath").asText())) {
        volume = mount.path("name").asText();
      }
    }
    assertTrue(volume != null, "no volume on /tmp: the JVM writes there");
    for (JsonNode v : pod.path("volumes")) {
      if (v.path("name").asText().equals(volume)) {
        assertTrue(v.has("emptyDir"), v.toString());
        return;
      }
    }
    throw new AssertionError("volume " + volume + " is not in the pod");
  }

  private static void assertPasswordFromSecret(Map<String, JsonNode> env, String user, String key) {
    URI url = URI.create(env.get("DATABASE_URL").path("value").asText());
    assertEquals(user, url.getUserInfo(), "the URL names the role and holds no password");
    JsonNode ref = env.get("DATABASE_PASSWORD").at("/valueFrom/secretKeyRef");
    assertEquals("event-worker-database", ref.path("name").asText(), env.toString());
    assertEquals(key, ref.path("key").asText());
  }

  /** The heap is MaxRAMPercentage of the limit; what is left must hold the JVM's own memory. */
  private static void assertMemoryFitsTheJvmFlags(JsonNode container) throws Exception {
    Matcher flag =
        Pattern.compile("-XX:MaxRAMPercentage=(\\d+)")
            .matcher(Files.readString(Path.of("Dockerfile")));
    assertTrue(flag.find(), "the Dockerfile sizes the heap with MaxRAMPercentage");
    long limit = mebibytes(container.at("/resources/limits/memory").asText());
    assertEquals(limit, mebibytes(container.at("/resources/requests/memory").asText()));
    long heap = limit * Integer.parseInt(flag.group(1)) / 100;
    assertTrue(heap >= 256 && limit - heap >= 128, "heap " + heap + " of " + limit + " MiB");
  }

  private static JsonNode container(JsonNode workload) {
    return workload.at("/spec/template/spec/containers/0");
  }

  private static Map<String, JsonNode> env(JsonNode container) {
    Map<String, JsonNode> env = new HashMap<>();
    container.path("env").forEach(e -> env.put(e.path("name").asText(), e));
    return env;
  }

  private static long seconds(String duration) {
    Matcher m = Pattern.compile("(\\d+)(ms|s|m)").matcher(duration);
    assertTrue(m.matches(), duration);
    long n = Long.parseLong(m.group(1));
    return switch (m.group(2)) {
      case "ms" -> (n + 999) / 1000;
      case "s" -> n;
      default -> n * 60;
    };
  }

  private static long mebibytes(String quantity) {
    Matcher m = Pattern.compile("(\\d+)(Mi|Gi)").matcher(quantity);
    assertTrue(m.matches(), quantity);
    return Long.parseLong(m.group(1)) * ("Gi".equals(m.group(2)) ? 1024 : 1);
  }

  private static int maxConnections() throws Exception {
    Matcher m =
        Pattern.compile("(?m)^max_connections\\s*=\\s*(\\d+)")
            .matcher(Files.readString(Path.of("deploy/postgres/postgresql.conf")));
    assertTrue(m.find());
    return Integer.parseInt(m.group(1));
  }

  private static Programs.Result validate(String yaml) throws Exception {
    String node = Programs.require("node");
    if (!Files.isDirectory(VALIDATOR.resolve("node_modules/kubernetes-models"))) {
      throw new AssertionError(
          VALIDATOR + " has no node_modules: run `" + Programs.SETUP_STEP + "` (npm ci there)");
    }
    Path file = Files.createTempFile(Path.of("target"), "manifests", ".yaml");
    try {
      Files.writeString(file, yaml);
      return Programs.run(
          Map.of(),
          Duration.ofSeconds(120),
          node,
          VALIDATOR.resolve("validate.mjs").toString(),
          file.toString());
    } finally {
      Files.delete(file);
    }
  }
}
