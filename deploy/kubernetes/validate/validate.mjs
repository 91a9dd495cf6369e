// Validates Kubernetes manifests (YAML, several documents per file, or standard input) against the
// API schemas of kubernetes-models and the CRD schemas of KEDA and the Prometheus Operator.
//   kubectl kustomize ../base | node validate.mjs -
// Prints one line per object, `ok Kind/name` or `invalid Kind/name: reason`; exits 1 if any is
// invalid or of a kind it has no schema for. The schemas accept unknown fields (as the API server
// does without strict field validation), so a misspelled field would pass: every field is also
// probed by replacing its value with one no schema accepts; a field whose probe still validates
// is one the schema does not know, and is reported.
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";

const MODULES = {
  v1: "kubernetes-models/v1",
  "apps/v1": "kubernetes-models/apps/v1",
  "batch/v1": "kubernetes-models/batch/v1",
  "policy/v1": "kubernetes-models/policy/v1",
  "keda.sh/v1alpha1": "@kubernetes-models/keda/keda.sh/v1alpha1",
  "monitoring.coreos.com/v1": "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1",
};

const PROBE = Symbol("probe");

async function modelOf(object) {
  const module = MODULES[object.apiVersion];
  const model = module && (await import(module))[object.kind];
  if (!model) {
    throw new Error(`no schema for apiVersion ${object.apiVersion} kind ${object.kind}`);
  }
  return model;
}

function problem(Model, data) {
  try {
    new Model(data).validate();
    return null;
  } catch (e) {
    return e.message;
  }
}

// Every path to an object's field, arrays entered but their positions not probed themselves.
function* fieldPaths(value, path = []) {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) yield* fieldPaths(value[i], [...path, i]);
  } else if (value !== null && typeof value === "object") {
    for (const key of Object.keys(value)) {
      yield [...path, key];
      yield* fieldPaths(value[key], [...path, key]);
    }
  }
}

function withProbeAt(object, path) {
  const copy = structuredClone(object);
  let parent = copy;
  for (const step of path.slice(0, -1)) parent = parent[step];
  parent[path[path.length - 1]] = PROBE;
  return copy;
}

function show(path) {
  return path.map((p) => (typeof p === "number" ? `[${p}]` : `.${p}`)).join("").slice(1);
}

async function check(object) {
  const Model = await modelOf(object);
  const invalid = problem(Model, object);
  if (invalid) return invalid;
  const unknown = [];
  for (const path of fieldPaths(object)) {
    if (path.length === 1 && (path[0] === "apiVersion" || path[0] === "kind")) continue;
    if (problem(Model, withProbeAt(object, path)) === null) unknown.push(show(path));
  }
  // A field below an unknown one is unknown too: report the outermost only.
  const outermost = unknown.filter((u) => !unknown.some((o) => o !== u && u.startsWith(o + ".")));
  return outermost.length ? `unknown field(s) ${outermost.join(", ")}` : null;
}

async function main(files) {
  if (files.length === 0) {
    console.error("usage: node validate.mjs FILE... (- for standard input)");
    process.exit(2);
  }
  let failed = 0;
  let seen = 0;
  for (const file of files) {
    const text = readFileSync(file === "-" ? 0 : file, "utf8");
    for (const doc of parseAllDocuments(text)) {
      if (doc.errors.length) throw doc.errors[0];
      const object = doc.toJS();
      if (object === null) continue;
      seen++;
      const name = `${object.kind}/${object.metadata?.name}`;
      let reason;
      try {
        reason = await check(object);
      } catch (e) {
        reason = e.message;
      }
      console.log(reason ? `invalid ${name}: ${reason}` : `ok ${name}`);
      if (reason) failed++;
    }
  }
  console.log(`${seen} objects, ${failed} invalid`);
  process.exit(failed || seen === 0 ? 1 : 0);
}

await main(process.argv.slice(2));
