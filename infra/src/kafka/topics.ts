import { setTimeout as sleep } from "node:timers/promises";
import type { Admin, Kafka } from "kafkajs";

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
      // kafkajs treats "already exists" (a parallel run was first) as success.
      await admin.createTopics({
        // kafkajs's own wait gives up on UNKNOWN_TOPIC_OR_PARTITION, which a KRaft
        // broker answers until the new topic's metadata reaches it; we wait below.
        waitForLeaders: false,
        topics: missing
          .map((s) => fitToCluster(s, brokers))
          .map((s) => ({
            topic: s.name,
            numPartitions: s.partitions,
            replicationFactor: s.replicationFactor,
            configEntries: Object.entries(s.config ?? {}).map(([name, value]) => ({ name, value })),
          })),
      });
      await waitForLeaders(admin, missing);
    }
    return {
      created: missing.map((s) => s.name),
      existing: specs.filter((s) => existing.has(s.name)).map((s) => s.name),
    };
  } finally {
    await admin.disconnect();
  }
}

const RETRIABLE_METADATA = new Set([
  "UNKNOWN_TOPIC_OR_PARTITION",
  "LEADER_NOT_AVAILABLE",
  "NOT_LEADER_FOR_PARTITION",
]);

async function waitForLeaders(
  admin: Admin,
  specs: readonly TopicSpec[],
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: specs.map((s) => s.name) });
      const ready = specs.every((spec) => {
        const t = topics.find((x) => x.name === spec.name);
        return (
          t !== undefined &&
          t.partitions.length >= spec.partitions &&
          t.partitions.every((p) => p.leader >= 0)
        );
      });
      // The metadata names a leader before that broker serves the partition
      // (a Produce then gets NOT_LEADER_FOR_PARTITION): ListOffsets, answered
      // by the leader itself, succeeds only once it does.
      if (ready) {
        for (const spec of specs) await admin.fetchTopicOffsets(spec.name);
        return;
      }
    } catch (err) {
      if (!RETRIABLE_METADATA.has((err as { type?: string }).type ?? "")) throw err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `topics ${specs.map((s) => s.name).join(", ")} have no leaders after ${timeoutMs} ms`,
      );
    }
    await sleep(100);
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
