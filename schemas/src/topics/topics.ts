// The declarative topic list (schemas/topics.json), shared with the
// Kubernetes manifests (Strimzi KafkaTopics are rendered from the same file),
// and provisioning it through the infra wrapper's admin.

import { readFileSync } from "node:fs";
import { err, ok, type Result } from "@fxcore/domain";
import { type EnsureTopicsResult, ensureTopics, type Kafka, type TopicSpec } from "@fxcore/infra";

export interface TopicDefinition {
  readonly name: string;
  readonly partitions: number;
  readonly replicationFactor: number;
  readonly minInsyncReplicas: number;
  /** Kafka topic configs, values as Kafka stores them (strings). */
  readonly config: Readonly<Record<string, string>>;
}

export const topicsFileUrl = new URL("../../topics.json", import.meta.url);

const positiveInt = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) > 0;

/** Checks the file's shape; every problem is reported, not just the first. */
export function parseTopics(json: unknown): Result<readonly TopicDefinition[], readonly string[]> {
  const problems: string[] = [];
  const topics = (json as { topics?: unknown } | null)?.topics;
  if (!Array.isArray(topics) || topics.length === 0)
    return err(["`topics` must be a non-empty array"]);
  const seen = new Set<string>();
  topics.forEach((t: Record<string, unknown>, i) => {
    const at = `topics[${i}]${typeof t?.name === "string" ? ` (${t.name})` : ""}`;
    if (typeof t !== "object" || t === null) {
      problems.push(`${at}: not an object`);
      return;
    }
    if (typeof t.name !== "string" || !/^[a-zA-Z0-9._-]{1,249}$/.test(t.name)) {
      problems.push(`${at}: name must be a legal Kafka topic name`);
    } else if (seen.has(t.name)) {
      problems.push(`${at}: duplicate name`);
    } else seen.add(t.name);
    for (const key of ["partitions", "replicationFactor", "minInsyncReplicas"] as const) {
      if (!positiveInt(t[key])) problems.push(`${at}: ${key} must be a positive integer`);
    }
    if (
      positiveInt(t.minInsyncReplicas) &&
      positiveInt(t.replicationFactor) &&
      t.minInsyncReplicas > t.replicationFactor
    ) {
      problems.push(`${at}: minInsyncReplicas exceeds replicationFactor`);
    }
    const config = t.config;
    if (typeof config !== "object" || config === null || Array.isArray(config)) {
      problems.push(`${at}: config must be an object`);
    } else {
      for (const [k, v] of Object.entries(config)) {
        if (typeof v !== "string") problems.push(`${at}: config.${k} must be a string`);
      }
      if ("min.insync.replicas" in config) {
        problems.push(`${at}: set minInsyncReplicas, not config["min.insync.replicas"]`);
      }
    }
    const extra = Object.keys(t).filter(
      (k) =>
        !["name", "partitions", "replicationFactor", "minInsyncReplicas", "config"].includes(k),
    );
    if (extra.length > 0) problems.push(`${at}: unknown keys ${extra.join(", ")}`);
  });
  return problems.length > 0 ? err(problems) : ok(topics as TopicDefinition[]);
}

export class TopicsFileError extends Error {
  override readonly name = "TopicsFileError";
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`invalid topics file:\n  ${problems.join("\n  ")}`);
    this.problems = problems;
  }
}

/** The topic list from schemas/topics.json (or another file); throws TopicsFileError when malformed. */
export function loadTopics(file: URL = topicsFileUrl): readonly TopicDefinition[] {
  const parsed = parseTopics(JSON.parse(readFileSync(file, "utf8")));
  if (!parsed.ok) throw new TopicsFileError(parsed.error);
  return parsed.value;
}

/** The infra wrapper's spec for a definition (min ISR travels as a topic config). */
export const toTopicSpec = (t: TopicDefinition, name: string = t.name): TopicSpec => ({
  name,
  partitions: t.partitions,
  replicationFactor: t.replicationFactor,
  config: { ...t.config, "min.insync.replicas": String(t.minInsyncReplicas) },
});

export interface ProvisionOptions {
  readonly topics?: readonly TopicDefinition[];
  /** Rename each topic (tests provision suffixed copies). */
  readonly rename?: (name: string) => string;
}

/** Creates the missing topics; replication factor and min ISR are capped to the cluster's broker count. */
export function provisionTopics(
  kafka: Kafka,
  options: ProvisionOptions = {},
): Promise<EnsureTopicsResult> {
  const topics = options.topics ?? loadTopics();
  const rename = options.rename ?? ((n: string) => n);
  return ensureTopics(
    kafka,
    topics.map((t) => toTopicSpec(t, rename(t.name))),
  );
}
