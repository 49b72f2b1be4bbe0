import { createKafka } from "../kafka/client.ts";
import { deleteTopics, ensureTopics, type TopicSpec } from "../kafka/topics.ts";
import { infraSettings, uniqueSuffix } from "./settings.ts";

// Per-suite topics with unique names, so suites run in parallel on one broker.

export interface TestTopics<K extends string> {
  /** Key -> actual topic name, e.g. { "fx.orders": "fx.orders.t-lq3x9a1b2c" }. */
  readonly names: Readonly<Record<K, string>>;
  readonly brokers: string;
  delete(): Promise<void>;
}

export async function createTestTopics<K extends string>(
  specs: Readonly<Record<K, Partial<Omit<TopicSpec, "name">>>>,
  options: { brokers?: string } = {},
): Promise<TestTopics<K>> {
  const brokers = options.brokers ?? infraSettings().KAFKA_BROKERS;
  const kafka = createKafka({ brokers, clientId: "fxcore-test-topics" });
  const suffix = uniqueSuffix();
  const names = {} as Record<K, string>;
  const topicSpecs: TopicSpec[] = [];
  for (const key of Object.keys(specs) as K[]) {
    const spec = specs[key];
    const name = `${key}.t-${suffix}`;
    names[key] = name;
    topicSpecs.push({
      name,
      partitions: spec.partitions ?? 1,
      replicationFactor: spec.replicationFactor ?? 1,
      ...(spec.config ? { config: spec.config } : {}),
    });
  }
  await ensureTopics(kafka, topicSpecs);
  return {
    names,
    brokers,
    delete: () => deleteTopics(kafka, Object.values(names) as string[]),
  };
}

/** A unique consumer group id for a test. */
export function testGroupId(base = "test"): string {
  return `${base}.g-${uniqueSuffix()}`;
}
