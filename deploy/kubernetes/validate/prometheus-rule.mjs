// Writes deploy/kubernetes/base/prometheus-rule.yaml from deploy/prometheus/alerts.yml, so that
// the Prometheus Operator gets the same rules as the Compose stack's Prometheus:
//   node deploy/kubernetes/validate/prometheus-rule.mjs
// KubernetesManifestsIT fails when the two files' rule groups differ.
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parse, stringify } from "yaml";

const here = (path) => fileURLToPath(new URL(path, import.meta.url));
const alerts = parse(readFileSync(here("../../prometheus/alerts.yml"), "utf8"));
const rule = {
  apiVersion: "monitoring.coreos.com/v1",
  kind: "PrometheusRule",
  metadata: {
    name: "event-worker",
    labels: { "app.kubernetes.io/name": "event-worker", "app.kubernetes.io/component": "worker" },
  },
  spec: { groups: alerts.groups },
};
const header = [
  "# Generated from deploy/prometheus/alerts.yml by deploy/kubernetes/validate/prometheus-rule.mjs:",
  "# edit alerts.yml (and its tests, alerts_test.yml), then run that script. The jobs the alerts",
  '# name are the Compose stack\'s: "event-worker" is this Service\'s; "postgres", "prometheus" and',
  '# "alertmanager" must be the job names of those targets in the cluster\'s Prometheus.',
  "",
].join("\n");
writeFileSync(here("../base/prometheus-rule.yaml"), header + stringify(rule, { lineWidth: 0 }));
