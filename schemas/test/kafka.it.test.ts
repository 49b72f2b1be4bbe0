// Through the real broker and the real registry, with the infra wrapper's
// producer and consumer loop.
import {
  type ConsumedRecord,
  consumedRecord,
  createConsumer,
  createKafka,
  createProducer,
  DLQ_HEADERS,
  type FxProducer,
  headerValue,
  type Kafka,
  type RunningConsumer,
  runConsumer,
} from "@fxcore/infra";
import {
  createTestTopics,
  infraSettings,
  type TestTopics,
  testGroupId,
} from "@fxcore/infra/testing";
// Brings the global setup's ProvidedContext keys into this program (infra's settings.ts needs them typed).
import type {} from "@fxcore/infra/testing/global-setup";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { Envelope } from "../src/envelope/envelope.ts";
import { decodeRecordWith } from "../src/serde/consumer-decode.ts";
import { createSerde, type Serde } from "../src/serde/serde.ts";
import { sampleEnvelopes } from "./samples.ts";

let topics: TestTopics<"fx.orders" | "fx.dlq">;
let kafka: Kafka;
let producer: FxProducer;
let serde: Serde;
const running: RunningConsumer[] = [];

beforeAll(async () => {
  topics = await createTestTopics({ "fx.orders": { partitions: 3 }, "fx.dlq": { partitions: 1 } });
  kafka = createKafka({ brokers: topics.brokers, clientId: "schemas-it" });
  producer = await createProducer(kafka);
  serde = createSerde({ registryUrl: infraSettings().SCHEMA_REGISTRY_URL });
});

afterAll(async () => {
  for (const c of running) await c.stop();
  await producer?.disconnect();
  await topics?.delete();
});

const keyOf = (env: Envelope) => (env.payload as { symbol: string }).symbol;

async function consume(topic: string, dlqTopic: string, received: Envelope[]): Promise<void> {
  const consumer = await runConsumer(kafka, {
    groupId: testGroupId("schemas"),
    topics: [topic],
    decode: decodeRecordWith(serde),
    handle: async ({ value }) => {
      received.push(value);
    },
    deadLetter: { topic: dlqTopic },
  });
  running.push(consumer);
}

async function readAll(topic: string, count: number): Promise<ConsumedRecord[]> {
  const out: ConsumedRecord[] = [];
  const consumer = createConsumer(kafka, { groupId: testGroupId("schemas-dlq") });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      out.push(consumedRecord(topic, partition, message));
    },
  });
  try {
    await vi.waitFor(() => expect(out.length).toBeGreaterThanOrEqual(count), {
      timeout: 30_000,
      interval: 100,
    });
  } finally {
    await consumer.disconnect();
  }
  return out;
}

describe("Avro through Kafka and the registry", () => {
  it("every payload type comes back deep-equal, bigint timestamps included", async () => {
    const envs = sampleEnvelopes();
    const records = await Promise.all(
      envs.map(async (env) => ({
        key: keyOf(env),
        value: await serde.encode(topics.names["fx.orders"], env),
      })),
    );
    await producer.send(topics.names["fx.orders"], records);

    const received: Envelope[] = [];
    await consume(topics.names["fx.orders"], topics.names["fx.dlq"], received);
    await vi.waitFor(() => expect(received.length).toBe(envs.length), {
      timeout: 30_000,
      interval: 100,
    });

    const byId = (a: Envelope, b: Envelope) => a.meta.eventId.localeCompare(b.meta.eventId);
    expect([...received].sort(byId)).toStrictEqual([...envs].sort(byId));
    expect(new Set(received.map((e) => e.payload.type)).size).toBe(14);
  });
});

describe("undecodable records", () => {
  it("go to the DLQ with the reason, and the consumer keeps going", async () => {
    const t = await createTestTopics({
      "fx.executions": { partitions: 1 },
      "fx.dlq": { partitions: 1 },
    });
    try {
      const topic = t.names["fx.executions"];
      const [a, b, c] = sampleEnvelopes();
      const good = async (env: Envelope) => ({
        key: keyOf(env),
        value: await serde.encode(topic, env),
      });
      const goodA = await good(a!);
      const unknownId = Buffer.from(goodA.value);
      unknownId.writeInt32BE(1_999_999_999, 1);
      const poison = [
        { key: "EURUSD", value: Buffer.concat([Buffer.from([7]), goodA.value.subarray(1)]) },
        { key: "EURUSD", value: unknownId },
        { key: "EURUSD", value: goodA.value.subarray(0, goodA.value.length - 10) },
      ];
      // One partition: the good records after the poison ones are only seen if the loop moved on.
      await producer.send(topic, [goodA, ...poison, await good(b!), await good(c!)]);

      const received: Envelope[] = [];
      await consume(topic, t.names["fx.dlq"], received);
      await vi.waitFor(() => expect(received.length).toBe(3), { timeout: 30_000, interval: 100 });
      expect(received.map((e) => e.meta.eventId)).toEqual([a, b, c].map((e) => e!.meta.eventId));

      const dead = await readAll(t.names["fx.dlq"], 3);
      expect(dead).toHaveLength(3);
      const reasons = dead.map((r) => headerValue(r.headers, DLQ_HEADERS.reason) ?? "");
      expect(reasons[0]).toMatch(/^BAD_MAGIC_BYTE: /);
      expect(reasons[1]).toMatch(/^UNKNOWN_SCHEMA_ID: .*1999999999/);
      expect(reasons[2]).toMatch(/^TRUNCATED: /);
      // The dead letters are the original bytes, traceable to their source offsets.
      expect(dead.map((r) => r.value)).toEqual(poison.map((p) => p.value));
      expect(dead.map((r) => headerValue(r.headers, DLQ_HEADERS.sourceOffset))).toEqual([
        "1",
        "2",
        "3",
      ]);
      expect(dead.every((r) => headerValue(r.headers, DLQ_HEADERS.sourceTopic) === topic)).toBe(
        true,
      );
    } finally {
      await t.delete();
    }
  });
});
