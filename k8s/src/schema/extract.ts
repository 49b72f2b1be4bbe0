// Regenerates the committed schemas in k8s/test/schemas/ from upstream
// sources (see k8s/test/schemas/regenerate.sh, which fetches them):
//   node k8s/src/schema/extract.ts <out-dir> <kubernetes swagger.json> <crd.yaml>...
// Only the kinds fxcore uses are kept, so the folder stays small.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { collectRefs, hoistRepeats, type JsonSchema, sanitize } from "./sanitize.ts";

// Core kinds the manifests may use (group/version → kinds).
export const coreKinds: Record<string, readonly string[]> = {
  v1: ["Namespace", "ServiceAccount", "ConfigMap", "Service"],
  "apps/v1": ["Deployment", "StatefulSet"],
  "policy/v1": ["PodDisruptionBudget"],
  "autoscaling/v2": ["HorizontalPodAutoscaler"],
  "networking.k8s.io/v1": ["NetworkPolicy"],
  "rbac.authorization.k8s.io/v1": ["Role", "RoleBinding"],
};

// Custom resources the manifests may use: CRD group → kinds.
export const crdKinds: Record<string, readonly string[]> = {
  "kafka.strimzi.io": ["Kafka", "KafkaNodePool", "KafkaTopic", "KafkaMirrorMaker2", "KafkaUser"],
  "postgresql.cnpg.io": ["Cluster", "ScheduledBackup"],
  "monitoring.coreos.com": ["ServiceMonitor", "PodMonitor", "PrometheusRule"],
  "external-secrets.io": ["ExternalSecret"],
  "argoproj.io": ["AppProject", "ApplicationSet", "Application"],
};

const objectMetaRef =
  "kubernetes.json#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";

type SchemaIndex = { kinds: Record<string, string>; sources: Record<string, string> };

type Gvk = { group: string; version: string; kind: string };

function extractKubernetes(swaggerPath: string): {
  file: JsonSchema;
  kinds: Record<string, string>;
} {
  const swagger = JSON.parse(readFileSync(swaggerPath, "utf8")) as {
    definitions: Record<string, JsonSchema>;
  };
  const roots = new Map<string, string>();
  for (const [name, def] of Object.entries(swagger.definitions)) {
    const gvks = (def["x-kubernetes-group-version-kind"] ?? []) as Gvk[];
    for (const { group, version, kind } of gvks) {
      const apiVersion = group === "" ? version : `${group}/${version}`;
      if (coreKinds[apiVersion]?.includes(kind)) roots.set(`${apiVersion} ${kind}`, name);
    }
  }
  const wanted = new Set<string>([...roots.values(), objectMetaRef.split("/").at(-1)!]);
  const queue = [...wanted];
  while (queue.length > 0) {
    const name = queue.pop()!;
    const refs = new Set<string>();
    collectRefs(swagger.definitions[name], refs);
    for (const ref of refs) {
      if (!wanted.has(ref)) {
        wanted.add(ref);
        queue.push(ref);
      }
    }
  }
  const definitions: Record<string, unknown> = {};
  for (const name of [...wanted].sort()) definitions[name] = sanitize(swagger.definitions[name]);
  // Serialised as strings in the spec, but YAML numbers are accepted by the API server.
  definitions["io.k8s.apimachinery.pkg.util.intstr.IntOrString"] = { type: ["integer", "string"] };
  definitions["io.k8s.apimachinery.pkg.api.resource.Quantity"] = { type: ["string", "number"] };
  const kinds = Object.fromEntries(
    [...roots].map(([key, name]) => [key, `kubernetes.json#/definitions/${name}`]),
  );
  return { file: { $id: "kubernetes.json", definitions }, kinds };
}

type Crd = {
  kind: string;
  spec: {
    group: string;
    names: { kind: string };
    versions: { name: string; served: boolean; schema?: { openAPIV3Schema: JsonSchema } }[];
  };
};

function extractCrd(path: string, outDir: string, index: SchemaIndex): void {
  for (const doc of parseAllDocuments(readFileSync(path, "utf8"))) {
    const crd = doc.toJS() as Crd | null;
    if (crd?.kind !== "CustomResourceDefinition") continue;
    const { group, names, versions } = crd.spec;
    if (!crdKinds[group]?.includes(names.kind)) continue;
    for (const version of versions) {
      if (!version.served || version.schema === undefined) continue;
      const schema = sanitize(version.schema.openAPIV3Schema) as JsonSchema;
      const properties = (schema.properties ?? {}) as Record<string, unknown>;
      properties.apiVersion = { const: `${group}/${version.name}` };
      properties.kind = { const: names.kind };
      properties.metadata = { $ref: objectMetaRef };
      schema.properties = properties;
      schema.additionalProperties = false;
      // The id is the file name under crds/; ids resolve against each other flatly.
      const id = `${group}_${names.kind}_${version.name}.json`;
      const compact = hoistRepeats(schema);
      writeFileSync(join(outDir, "crds", id), `${JSON.stringify({ $id: id, ...compact })}\n`);
      index.kinds[`${group}/${version.name} ${names.kind}`] = id;
    }
  }
}

function main(argv: readonly string[]): void {
  const [outDir, swaggerPath, ...crdPaths] = argv;
  if (outDir === undefined || swaggerPath === undefined) {
    throw new Error("usage: extract.ts <out-dir> <swagger.json> <crd.yaml>...");
  }
  mkdirSync(join(outDir, "crds"), { recursive: true });
  const kubernetes = extractKubernetes(swaggerPath);
  writeFileSync(join(outDir, "kubernetes.json"), `${JSON.stringify(kubernetes.file)}\n`);
  const index: SchemaIndex = {
    kinds: { ...kubernetes.kinds },
    sources: JSON.parse(process.env.FXCORE_SCHEMA_SOURCES ?? "{}") as Record<string, string>,
  };
  for (const path of crdPaths) extractCrd(path, outDir, index);
  index.kinds = Object.fromEntries(Object.entries(index.kinds).sort());
  writeFileSync(join(outDir, "index.json"), `${JSON.stringify(index, null, 2)}\n`);
}

if (import.meta.main) main(process.argv.slice(2));
