// The Strimzi KafkaTopics must declare exactly what schemas/topics.json does
// (the services' own topic list, used by local runs and tests).
import { at, byKind, type K8sObject } from "./manifest.ts";
import { type Violation, violation } from "./policy/violation.ts";

export type TopicSpec = {
  name: string;
  partitions: number;
  replicationFactor: number;
  minInsyncReplicas: number;
  config: Record<string, string | number | boolean>;
};

export function parseTopicList(json: unknown): TopicSpec[] {
  const list = Array.isArray(json) ? json : (json as { topics?: unknown }).topics;
  if (!Array.isArray(list))
    throw new Error("topics.json holds neither a list nor { topics: [...] }");
  return list as TopicSpec[];
}

export function compareTopics(
  objects: readonly K8sObject[],
  declared: readonly TopicSpec[],
): Violation[] {
  const out: Violation[] = [];
  const rendered = new Map(
    byKind(objects, "KafkaTopic").map((t) => [
      String(at(t, "spec", "topicName") ?? t.metadata.name),
      t,
    ]),
  );
  for (const spec of declared) {
    const t = rendered.get(spec.name);
    if (t === undefined) {
      out.push(violation("topics", spec.name, "is declared in topics.json but has no KafkaTopic"));
      continue;
    }
    const config = (at(t, "spec", "config") ?? {}) as Record<string, unknown>;
    const expect: [string, unknown, unknown][] = [
      ["partitions", spec.partitions, at(t, "spec", "partitions")],
      ["replicas", spec.replicationFactor, at(t, "spec", "replicas")],
      [
        "min.insync.replicas",
        String(spec.minInsyncReplicas),
        config["min.insync.replicas"] === undefined
          ? undefined
          : String(config["min.insync.replicas"]),
      ],
    ];
    for (const [key, value] of Object.entries(spec.config)) {
      expect.push([
        `config ${key}`,
        String(value),
        config[key] === undefined ? undefined : String(config[key]),
      ]);
    }
    for (const [what, want, got] of expect) {
      if (want !== got)
        out.push(
          violation(
            "topics",
            spec.name,
            `${what} is ${String(got)}, topics.json says ${String(want)}`,
          ),
        );
    }
    const extra = Object.keys(config).filter(
      (k) => k !== "min.insync.replicas" && !(k in spec.config),
    );
    for (const key of extra)
      out.push(violation("topics", spec.name, `config ${key} is not in topics.json`));
  }
  for (const name of rendered.keys()) {
    if (!declared.some((d) => d.name === name))
      out.push(violation("topics", name, "has a KafkaTopic but is not in topics.json"));
  }
  return out;
}

const topicPurpose: Record<string, string> = {
  "fx.orders":
    "Accepted commands and expiry ticks, keyed by currency pair; a pair's partition is its sequencer.",
  "fx.executions":
    "Matcher output (execution reports, cancel rejects), written in the matcher's Kafka transaction.",
  "fx.dlq": "Poison records with the reason, so a partition keeps moving.",
  "fx.snapshots":
    "Matcher order-book snapshots per pair, compacted: the latest per key is enough to recover.",
};

/** The text of base/data/topics.yaml for a topic list (node k8s/src/write-topics.ts). */
export function renderKafkaTopics(declared: readonly TopicSpec[]): string {
  const docs = declared.map((t) => {
    const config = { "min.insync.replicas": String(t.minInsyncReplicas), ...t.config };
    const lines = Object.entries(config).map(([k, v]) => `    ${k}: "${String(v)}"`);
    return [
      `# ${topicPurpose[t.name] ?? t.name}`,
      "apiVersion: kafka.strimzi.io/v1beta2",
      "kind: KafkaTopic",
      "metadata:",
      `  name: ${t.name.replaceAll(".", "-")}`,
      "  labels:",
      "    strimzi.io/cluster: fxcore-kafka",
      "  annotations:",
      '    argocd.argoproj.io/sync-wave: "2"',
      "    argocd.argoproj.io/sync-options: Prune=false,Delete=false",
      "spec:",
      `  topicName: ${t.name}`,
      `  partitions: ${t.partitions}`,
      `  replicas: ${t.replicationFactor}`,
      "  config:",
      ...lines,
      "",
    ].join("\n");
  });
  return `# Generated from schemas/topics.json by node k8s/src/write-topics.ts; a test compares the two.\n${docs.join("---\n")}`;
}
