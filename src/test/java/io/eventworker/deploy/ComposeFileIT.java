package io.eventworker.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.eventworker.config.DatabaseUrl;
import io.eventworker.testing.Programs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** docker-compose accepts the Compose file, and it is the original description's stack. */
@Tag("deploy")
class ComposeFileIT {

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  @Test
  void reproducesTheSeedsPostgresService() throws Exception {
    JsonNode services = config(Map.of()).get("services");
    JsonNode db = services.get("mock-postgres");
    assertEquals("postgres:15-alpine", db.get("image").asText());
    assertEquals("mock-postgres", db.get("container_name").asText());
    assertTrue(publishes(db, 5433, 5432), db.get("ports").toString());
    assertEquals("mockuser", db.at("/environment/POSTGRES_USER").asText());
    assertEquals("mockpass", db.at("/environment/POSTGRES_PASSWORD").asText());
    assertEquals("mockdb", db.at("/environment/POSTGRES_DB").asText());
    List<String> volumes = texts(db.get("volumes"));
    assertTrue(volumes.contains("postgres-data:/var/lib/postgresql/data:rw"), volumes.toString());
    assertTrue(
        volumes.stream()
            .anyMatch(
                v -> v.endsWith("/database/init.sql:/docker-entrypoint-initdb.d/init.sql:ro")),
        volumes.toString());
    assertTrue(
        volumes.stream()
            .anyMatch(
                v ->
                    v.endsWith(
                        "/deploy/postgres/postgresql.conf:/etc/postgresql/postgresql.conf:ro")),
        volumes.toString());
    assertTrue(
        db.get("command").toString().contains("config_file=/etc/postgresql/postgresql.conf"));
    assertTrue(db.get("networks").has("mock-network"));
    assertTrue(
        db.at("/healthcheck/test").toString().contains("pg_isready"),
        db.get("healthcheck").toString());
  }

  @Test
  void runsTheWorkerAsAppUserAfterMigrationsAndMonitorsIt() throws Exception {
    JsonNode root = config(Map.of());
    JsonNode services = root.get("services");
    JsonNode worker = services.get("worker");
    assertTrue(
        worker
            .at("/environment/DATABASE_URL")
            .asText()
            .startsWith("postgresql://app_user@mock-postgres:5432/mockdb"));
    assertEquals(
        "service_completed_successfully", worker.at("/depends_on/migrate/condition").asText());
    assertEquals(
        "service_healthy", services.at("/migrate/depends_on/mock-postgres/condition").asText());
    assertEquals("[\"migrate\"]", services.at("/migrate/command").toString());
    assertTrue(publishes(worker, 8080, 8080));
    assertTrue(publishes(services.get("postgres-exporter"), 9187, 9187));
    assertTrue(publishes(services.get("prometheus"), 9090, 9090));
    assertTrue(publishes(services.get("grafana"), 3000, 3000));
    assertTrue(publishes(services.get("alertmanager"), 9093, 9093));
    assertTrue(
        texts(services.at("/alertmanager/volumes")).stream()
            .anyMatch(v -> v.contains("/deploy/alertmanager:/etc/alertmanager")));
    assertTrue(
        services.at("/postgres-exporter/command").toString().contains("--extend.query-path"));
    assertTrue(
        texts(services.at("/prometheus/volumes")).stream()
            .anyMatch(v -> v.contains("/deploy/prometheus:/etc/prometheus")));
    assertEquals("7", services.at("/backup/environment/BACKUP_RETENTION_DAYS").asText());
    for (String name :
        List.of(
            "mock-postgres",
            "migrate",
            "worker",
            "postgres-exporter",
            "prometheus",
            "alertmanager",
            "grafana",
            "backup")) {
      assertTrue(
          services.get(name).get("networks").has("mock-network"), name + " is on mock-network");
    }
    assertTrue(root.get("volumes").has("postgres-data"));
  }

  @Test
  void theBackupServiceSeesTheWalArchiveWhereTheServerWritesIt() throws Exception {
    JsonNode services = config(Map.of()).get("services");
    String archive = "wal-archive:/var/lib/postgresql/wal-archive:rw";
    assertTrue(
        texts(services.at("/mock-postgres/volumes")).contains(archive),
        services.at("/mock-postgres/volumes").toString());
    assertTrue(
        texts(services.at("/backup/volumes")).contains(archive),
        services.at("/backup/volumes").toString());
    assertEquals(
        "/var/lib/postgresql/wal-archive",
        services.at("/backup/environment/WAL_ARCHIVE_DIR").asText());
    assertTrue(
        texts(services.at("/mock-postgres/volumes")).stream()
            .anyMatch(
                v ->
                    v.endsWith(
                        "/deploy/postgres/initdb/replication.sh:/docker-entrypoint-initdb.d/replication.sh:ro")));
  }

  @Test
  void publishesEveryPortOnLoopbackUnlessToldOtherwise() throws Exception {
    JsonNode services = config(Map.of()).get("services");
    int published = 0;
    for (JsonNode service : services) {
      for (Port port : ports(service)) {
        assertEquals("127.0.0.1", port.hostIp(), port.toString());
        published++;
      }
    }
    assertEquals(
        7,
        published,
        "PostgreSQL, its optional standby, worker, exporter, Prometheus, Alertmanager and Grafana");
    JsonNode open =
        config(Map.of("PUBLISH_ADDRESS", "0.0.0.0", "WORKER_PORT", "8080-8082")).get("services");
    assertEquals("0.0.0.0", ports(open.get("mock-postgres")).get(0).hostIp());
    assertEquals(new Port("0.0.0.0", "8080-8082", 8080), ports(open.get("worker")).get(0));
  }

  @Test
  void passwordsComeFromTheEnvironment() throws Exception {
    JsonNode services =
        config(Map.of("POSTGRES_PASSWORD", "s3cret", "APP_USER_PASSWORD", "app-s3cret"))
            .get("services");
    assertEquals("s3cret", services.at("/mock-postgres/environment/POSTGRES_PASSWORD").asText());
    assertEquals("app-s3cret", services.at("/worker/environment/DATABASE_PASSWORD").asText());
    assertEquals(
        "app-s3cret", services.at("/mock-postgres/environment/APP_USER_PASSWORD").asText());
    assertTrue(
        services
            .at("/postgres-exporter/environment/DATA_SOURCE_NAME")
            .asText()
            .contains(":s3cret@mock-postgres"));
  }

  @Test
  void offersAStreamingStandbyAsAProfileThatTheWorkerCanFailOverTo() throws Exception {
    JsonNode services =
        config(Map.of("DATABASE_HOSTS", "mock-postgres:5432,postgres-standby:5432"))
            .get("services");
    JsonNode standby = services.get("postgres-standby");
    assertEquals("[\"standby\"]", standby.get("profiles").toString(), "only with --profile");
    assertEquals("postgres:15-alpine", standby.get("image").asText());
    assertEquals("postgres", standby.get("user").asText());
    assertTrue(publishes(standby, 5434, 5432), standby.get("ports").toString());
    assertEquals("service_healthy", standby.at("/depends_on/mock-postgres/condition").asText());
    assertEquals("mock-postgres", standby.at("/environment/PRIMARY_HOST").asText());
    assertEquals("standby1", standby.at("/environment/STANDBY_NAME").asText());
    List<String> volumes = texts(standby.get("volumes"));
    assertTrue(
        volumes.contains("postgres-standby-data:/var/lib/postgresql/data:rw"), volumes.toString());
    assertTrue(
        volumes.stream()
            .anyMatch(
                v ->
                    v.endsWith(
                        "/deploy/postgres/standby-entrypoint.sh:/opt/standby/standby-entrypoint.sh:ro")),
        volumes.toString());
    String entrypoint = Files.readString(Path.of("deploy/postgres/standby-entrypoint.sh"));
    assertTrue(entrypoint.contains("pg_basebackup -D \"$PGDATA\" -X stream -R"), entrypoint);
    assertTrue(entrypoint.contains("application_name=$STANDBY_NAME"), entrypoint);
    // The primary lets POSTGRES_USER replicate from the Compose network.
    assertTrue(
        Files.readString(Path.of("deploy/postgres/initdb/replication.sh"))
            .contains("host replication"));

    String url = services.at("/worker/environment/DATABASE_URL").asText();
    assertEquals(
        "postgresql://app_user@mock-postgres:5432,postgres-standby:5432/mockdb"
            + "?targetServerType=primary",
        url);
    // The worker accepts it as it starts.
    assertEquals(2, DatabaseUrl.parse("DATABASE_URL", url).hostCount());
  }

  private static JsonNode config(Map<String, String> env) throws Exception {
    String compose = Programs.require("docker-compose");
    // An empty env file: a developer's .env must not change what the test sees.
    Path noEnvFile = Files.createTempFile("compose", ".env");
    Programs.Result r =
        Programs.run(
            env,
            Duration.ofSeconds(60),
            compose,
            "--env-file",
            noEnvFile.toString(),
            "-f",
            "docker-compose.yml",
            "config");
    Files.delete(noEnvFile);
    assertEquals(0, r.status(), "docker-compose config:\n" + r.output());
    return YAML.readTree(r.output());
  }

  /**
   * One published port, as docker-compose config prints it: long form, or
   * "IP:PUBLISHED:TARGET/tcp".
   */
  private record Port(String hostIp, String published, int target) {
    static Port of(JsonNode node) {
      if (node.isObject()) {
        return new Port(
            node.path("host_ip").asText(""),
            node.path("published").asText(),
            node.path("target").asInt());
      }
      String[] parts = node.asText().replaceFirst("/tcp$", "").split(":");
      return parts.length == 3
          ? new Port(parts[0], parts[1], Integer.parseInt(parts[2]))
          : new Port("", parts[0], Integer.parseInt(parts[1]));
    }
  }

  private static List<Port> ports(JsonNode service) {
    List<Port> out = new ArrayList<>();
    service.path("ports").forEach(n -> out.add(Port.of(n)));
    return out;
  }

  private static boolean publishes(JsonNode service, int published, int target) {
    return ports(service).stream()
        .anyMatch(p -> p.published().equals(Integer.toString(published)) && p.target() == target);
  }

  private static List<String> texts(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }
}
