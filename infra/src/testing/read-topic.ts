import type { Kafka } from "kafkajs";
import { createConsumer } from "../kafka/consumer.ts";
import { type ConsumedRecord, consumedRecord } from "../kafka/records.ts";

// How integration tests read back what landed on a topic: one consumer of its
// own, from the beginning, until enough records came or time ran out.

export interface ReadTopicOptions {
  /** The consumer's group (a fresh one per read, e.g. testGroupId("…")). */
  readonly groupId: string;
  /** Stop once this many records arrived… */
  readonly count: number;
  /** …or this long passed (the caller asserts on what came). */
  readonly timeoutMs: number;
  /** After `count`, keep reading this long, so a duplicate after the last record shows too. */
  readonly lingerMs?: number;
  /** Default true (only committed transactional records). */
  readonly readCommitted?: boolean;
}

/** Every record the consumer saw until it disconnected, in arrival order. */
export async function readTopic(
  kafka: Kafka,
  topic: string,
  o: ReadTopicOptions,
): Promise<ConsumedRecord[]> {
  const consumer = createConsumer(kafka, {
    groupId: o.groupId,
    readCommitted: o.readCommitted ?? true,
  });
  const out: ConsumedRecord[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, o.timeoutMs);
    void consumer.run({
      eachMessage: async ({ partition, message }) => {
        out.push(consumedRecord(topic, partition, message));
        if (out.length >= o.count) {
          clearTimeout(timer);
          if (o.lingerMs === undefined) resolve();
          else setTimeout(resolve, o.lingerMs);
        }
      },
    });
  });
  await consumer.disconnect();
  return out;
}
