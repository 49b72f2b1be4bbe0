import { createConsumer, createProducer, type Kafka } from "@fxcore/infra";
import { testGroupId } from "@fxcore/infra/testing";
import type { Envelope, Serde } from "@fxcore/schemas";
import type { KafkaMessage } from "kafkajs";

// Test-side Kafka I/O: publish inputs the way the outbox relay does (key =
// pair, one partition per pair) and read a topic back, read-committed.

export async function publishInputs(
  kafka: Kafka,
  serde: Serde,
  topic: string,
  inputs: readonly Envelope[],
  partitionOf: (symbol: string) => number,
): Promise<void> {
  const producer = await createProducer(kafka);
  try {
    for (let i = 0; i < inputs.length; i += 500) {
      const chunk = inputs.slice(i, i + 500);
      const records = await Promise.all(
        chunk.map(async (e) => ({
          key: e.payload.symbol,
          value: await serde.encode(topic, e),
          partition: partitionOf(e.payload.symbol),
        })),
      );
      await producer.send(topic, records);
    }
  } finally {
    await producer.disconnect();
  }
}

export interface Collected {
  readonly byPartition: Map<number, KafkaMessage[]>;
  total(): number;
  stop(): Promise<void>;
}

/** Reads a topic from the beginning (read-committed) into memory until stopped. */
export async function collect(kafka: Kafka, topic: string): Promise<Collected> {
  const consumer = createConsumer(kafka, { groupId: testGroupId("collect"), readCommitted: true });
  const byPartition = new Map<number, KafkaMessage[]>();
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      const list = byPartition.get(partition) ?? [];
      list.push(message);
      byPartition.set(partition, list);
    },
  });
  return {
    byPartition,
    total: () => [...byPartition.values()].reduce((n, l) => n + l.length, 0),
    stop: () => consumer.disconnect(),
  };
}

export async function waitFor(
  what: string,
  check: () => boolean,
  timeoutMs: number,
  progress?: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}${progress ? ` (${progress()})` : ""}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}
