import type { Kafka } from "kafkajs";

// Topics from a declarative list. Locally the replication factor is capped to
// the number of brokers (one by default), and min.insync.replicas with it.

export interface TopicSpec {
  readonly name: string;
  readonly partitions: number;
  readonly replicationFactor: number;
  /** Topic-level configs, e.g. { "cleanup.policy": "compact", "min.insync.replicas": "2" }. */
  readonly config?: Readonly<Record<string, string>>;
}

export interface EnsureTopicsResult {
  readonly created: readonly string[];
  readonly existing: readonly string[];
}

export async function ensureTopics(
  kafka: Kafka,
  specs: readonly TopicSpec[],
): Promise<EnsureTopicsResult> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const brokers = (await admin.describeCluster()).brokers.length;
    const existing = new Set(await admin.listTopics());
    const missing = specs.filter((s) => !existing.has(s.name));
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing
          .map((s) => fitToCluster(s, brokers))
          .map((s) => ({
            topic: s.name,
            numPartitions: s.partitions,
            replicationFactor: s.replicationFactor,
            configEntries: Object.entries(s.config ?? {}).map(([name, value]) => ({ name, value })),
          })),
      });
    }
    return {
      created: missing.map((s) => s.name),
      existing: specs.filter((s) => existing.has(s.name)).map((s) => s.name),
    };
  } finally {
    await admin.disconnect();
  }
}

/** Caps RF to the broker count and min.insync.replicas to RF. */
export function fitToCluster(spec: TopicSpec, brokers: number): TopicSpec {
  const replicationFactor = Math.max(1, Math.min(spec.replicationFactor, brokers));
  const minIsr = spec.config?.["min.insync.replicas"];
  const config =
    minIsr !== undefined && Number(minIsr) > replicationFactor
      ? { ...spec.config, "min.insync.replicas": String(replicationFactor) }
      : spec.config;
  return { ...spec, replicationFactor, ...(config ? { config } : {}) };
}

export async function deleteTopics(kafka: Kafka, names: readonly string[]): Promise<void> {
  if (names.length === 0) return;
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.deleteTopics({ topics: [...names], timeout: 10_000 });
  } finally {
    await admin.disconnect();
  }
}
