import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ConsumedRecord,
  createKafka,
  createProducer,
  type DecodeResult,
  DLQ_HEADERS,
  headerValue,
  type Kafka,
  runConsumer,
} from "../../src/index.ts";
import {
  createTestTopics,
  infraSettings,
  type TestTopics,
  testGroupId,
} from "../../src/testing/index.ts";
import { readTopic } from "../../src/testing/read-topic.ts";

// A record whose decode throws (or rejects) lands on the dead-letter topic with
// the reason and its origin in headers; the records after it are still handled.

let kafka: Kafka;
let topics: TestTopics<"fx.orders" | "fx.dlq">;

beforeAll(async () => {
  kafka = createKafka({ brokers: infraSettings().KAFKA_BROKERS, clientId: "infra-dlq-test" });
  topics = await createTestTopics({ "fx.orders": { partitions: 1 }, "fx.dlq": { partitions: 1 } });
});
afterAll(async () => {
  await topics.delete();
});

/** A tiny strict format: "qty=<positive integer>". */
function decodeQty(record: ConsumedRecord): DecodeResult<number> {
  const text = record.value?.toString("utf8") ?? "";
  if (text === "boom") throw new Error("decoder exploded");
  const m = /^qty=(\d+)$/.exec(text);
  return m
    ? { ok: true, value: Number(m[1]) }
    : { ok: false, reason: `not a qty record: ${JSON.stringify(text)}` };
}

const readAll = (topic: string, count: number) =>
  readTopic(kafka, topic, { groupId: testGroupId("dlq-reader"), count, timeoutMs: 20_000 });

describe("dead-letter routing in the consumer loop", () => {
  it("routes undecodable records to the DLQ with reason and origin, and keeps consuming", async () => {
    const source = topics.names["fx.orders"];
    const dlq = topics.names["fx.dlq"];
    const producer = await createProducer(kafka);
    await producer.send(source, [
      { key: "EURUSD", value: "qty=1" },
      { key: "EURUSD", value: "boom", headers: { "x-origin": "test" } },
      { key: "EURUSD", value: "qty=2" },
      { key: "EURUSD", value: "garbage" },
      { key: "EURUSD", value: "qty=3" },
    ]);
    await producer.disconnect();

    const handled: number[] = [];
    const groupId = testGroupId("dlq-loop");
    const running = await runConsumer(kafka, {
      groupId,
      topics: [source],
      decode: decodeQty,
      handle: async ({ value }) => {
        handled.push(value);
      },
      deadLetter: { topic: dlq },
    });
    const deadline = Date.now() + 20_000;
    while (handled.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await running.stop();
    expect(handled).toEqual([1, 2, 3]);

    const dead = await readAll(dlq, 2);
    expect(dead.map((r) => r.value?.toString())).toEqual(["boom", "garbage"]);
    const [thrown, rejected] = dead;
    expect(headerValue(thrown!.headers, DLQ_HEADERS.reason)).toBe("Error: decoder exploded");
    expect(headerValue(thrown!.headers, DLQ_HEADERS.sourceTopic)).toBe(source);
    expect(headerValue(thrown!.headers, DLQ_HEADERS.sourcePartition)).toBe("0");
    expect(headerValue(thrown!.headers, DLQ_HEADERS.sourceOffset)).toBe("1");
    expect(headerValue(thrown!.headers, DLQ_HEADERS.consumerGroup)).toBe(groupId);
    expect(headerValue(thrown!.headers, "x-origin")).toBe("test");
    expect(thrown!.key?.toString()).toBe("EURUSD");
    expect(headerValue(rejected!.headers, DLQ_HEADERS.reason)).toBe('not a qty record: "garbage"');
    expect(headerValue(rejected!.headers, DLQ_HEADERS.sourceOffset)).toBe("3");
  });

  it("retries a record whose decode failed for a retryable reason instead of dead-lettering it", async () => {
    const t = await createTestTopics({
      "fx.orders": { partitions: 1 },
      "fx.dlq": { partitions: 1 },
    });
    try {
      const producer = await createProducer(kafka);
      await producer.send(t.names["fx.orders"], [{ key: "EURUSD", value: "qty=7" }]);
      await producer.disconnect();
      let attempts = 0;
      const handled: number[] = [];
      const running = await runConsumer(kafka, {
        groupId: testGroupId("dlq-retry"),
        topics: [t.names["fx.orders"]],
        decode: (record) => {
          attempts++;
          if (attempts < 3) {
            throw Object.assign(new Error("registry unavailable"), { retryable: true });
          }
          return decodeQty(record);
        },
        handle: async ({ value }) => {
          handled.push(value);
        },
        deadLetter: { topic: t.names["fx.dlq"] },
      });
      const deadline = Date.now() + 30_000;
      while (handled.length < 1 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      await running.stop();
      expect(handled).toEqual([7]);
      expect(attempts).toBeGreaterThanOrEqual(3);
      const admin = kafka.admin();
      await admin.connect();
      const [dlqOffsets] = await admin.fetchTopicOffsets(t.names["fx.dlq"]);
      await admin.disconnect();
      expect(dlqOffsets?.high).toBe("0");
    } finally {
      await t.delete();
    }
  });
});
