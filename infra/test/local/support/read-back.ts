import type { Kafka } from "kafkajs";
import { readTopic } from "../../../src/testing/read-topic.ts";

/**
 * The values of `topic` (numbers the test produced) read back from the
 * beginning, a moment past the `total`-th so a duplicate would show too.
 */
export async function readBackNumbers(
  kafka: Kafka,
  topic: string,
  groupId: string,
  total: number,
): Promise<number[]> {
  const records = await readTopic(kafka, topic, {
    groupId,
    count: total,
    timeoutMs: 30_000,
    lingerMs: 500,
  });
  return records.map((r) => Number(r.value?.toString()));
}
