package io.eventworker.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.eventworker.testing.Programs;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The Kubernetes manifests of deploy/kubernetes as {@code kubectl kustomize} renders them. */
final class Kustomize {

  static final Path ROOT = Path.of("deploy/kubernetes");
  static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private Kustomize() {}

  /** The rendered YAML of a kustomization under deploy/kubernetes ("base", "overlays/example"). */
  static String renderText(String tree) {
    String kubectl = Programs.require("kubectl");
    Programs.Result r =
        Programs.run(
            Map.of(),
            Duration.ofSeconds(60),
            "sh",
            "-c",
            "exec \"$0\" kustomize \"$1\" 2>/dev/null",
            kubectl,
            ROOT.resolve(tree).toString());
    if (r.status() != 0) {
      // Again with its standard error, which the YAML above must not hold (newer kustomize
      // versions print deprecation warnings there).
      Programs.Result why =
          Programs.run(
              Map.of(),
              Duration.ofSeconds(60),
              kubectl,
              "kustomize",
              ROOT.resolve(tree).toString());
      throw new AssertionError("kubectl kustomize " + tree + " failed:\n" + why.output());
    }
    return r.output();
  }

  /** The rendered objects of a kustomization. */
  static List<JsonNode> render(String tree) {
    List<JsonNode> objects = new ArrayList<>();
    try (var docs = YAML.readerFor(JsonNode.class).<JsonNode>readValues(renderText(tree))) {
      while (docs.hasNext()) {
        JsonNode doc = docs.next();
        if (doc != null && !doc.isNull() && !doc.isMissingNode()) {
          objects.add(doc);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return objects;
  }

  /** The one object of that kind and name; fails the test if there is none. */
  static JsonNode find(List<JsonNode> objects, String kind, String name) {
    return objects.stream()
        .filter(o -> kind.equals(o.path("kind").asText()))
        .filter(o -> name.equals(o.at("/metadata/name").asText()))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no " + kind + "/" + name + " in " + objects));
  }

  /** The ScaledObject's postgresql trigger. */
  static JsonNode scalerTrigger(List<JsonNode> objects) {
    for (JsonNode trigger : find(objects, "ScaledObject", "event-worker").at("/spec/triggers")) {
      if ("postgresql".equals(trigger.path("type").asText())) {
        return trigger;
      }
    }
    throw new AssertionError("the ScaledObject has no postgresql trigger");
  }
}
