import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createKafka,
  createProducer,
  createTransactionalProducer,
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

// kafkajs 2.2.4 against the real Kafka 4.1 broker: plain, idempotent and
// transactional production, read_committed consumption.

let kafka: Kafka;
let topics: TestTopics<"smoke.in" | "smoke.out">;

beforeAll(async () => {
  kafka = createKafka({ brokers: infraSettings().KAFKA_BROKERS, clientId: "infra-smoke" });
  topics = await createTestTopics({
    "smoke.in": { partitions: 3 },
    "smoke.out": { partitions: 1 },
  });
});
afterAll(async () => {
  await topics.delete();
});

async function collect(topic: string, count: number, readCommitted: boolean): Promise<string[]> {
  const records = await readTopic(kafka, topic, {
    groupId: testGroupId("smoke"),
    count,
    timeoutMs: 20_000,
    readCommitted,
  });
  return records.map((r) => r.value?.toString() ?? "");
}

describe("kafkajs against the real broker", () => {
  it("produces with the idempotent producer and consumes every record in order per key", async () => {
    const producer = await createProducer(kafka);
    const sent = Array.from({ length: 50 }, (_, i) => `v${i}`);
    for (const value of sent)
      await producer.send(topics.names["smoke.in"], [{ key: "EURUSD", value }]);
    await producer.disconnect();
    const seen = await collect(topics.names["smoke.in"], sent.length, true);
    expect(seen).toEqual(sent);
  });

  it("hides aborted transactions from read_committed consumers and shows committed ones", async () => {
    const tx = await createTransactionalProducer(kafka, { transactionalId: `smoke-${Date.now()}` });
    await tx.transaction(async (t) => {
      await t.send(topics.names["smoke.out"], [{ key: "k", value: "committed-1" }]);
    });
    await expect(
      tx.transaction(async (t) => {
        await t.send(topics.names["smoke.out"], [{ key: "k", value: "aborted" }]);
        throw new Error("abort this one");
      }),
    ).rejects.toThrow("abort this one");
    await tx.transaction(async (t) => {
      await t.send(topics.names["smoke.out"], [{ key: "k", value: "committed-2" }]);
    });
    await tx.disconnect();

    const committed = await collect(topics.names["smoke.out"], 2, true);
    expect(committed).toEqual(["committed-1", "committed-2"]);
    // read_uncommitted sees the aborted record too: proof the abort really wrote it.
    const all = await collect(topics.names["smoke.out"], 3, false);
    expect(all).toEqual(["committed-1", "aborted", "committed-2"]);
  });

  it("commits consumer offsets inside a transaction (consume-transform-produce)", async () => {
    const groupId = testGroupId("ctp");
    const producer = await createProducer(kafka);
    await producer.send(topics.names["smoke.in"], [{ key: "GBPUSD", value: "a", partition: 0 }]);
    await producer.disconnect();
    const tx = await createTransactionalProducer(kafka, { transactionalId: `ctp-${Date.now()}` });
    await tx.transaction(async (t) => {
      await t.send(topics.names["smoke.out"], [{ key: "GBPUSD", value: "from-ctp" }]);
      await t.sendOffsets(groupId, [
        { topic: topics.names["smoke.in"], partition: 0, offset: "1" },
      ]);
    });
    await tx.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    const offsets = await admin.fetchOffsets({ groupId, topics: [topics.names["smoke.in"]] });
    await admin.disconnect();
    const p0 = offsets[0]?.partitions.find((p) => p.partition === 0);
    expect(p0?.offset).toBe("1");
  });

  it("runs the consumer loop and hands each decoded record to the handler once, in order", async () => {
    const own = await createTestTopics({ "smoke.loop": {} });
    const topic = own.names["smoke.loop"];
    const producer = await createProducer(kafka);
    await producer.send(
      topic,
      Array.from({ length: 10 }, (_, i) => ({ key: "USDJPY", value: `n${i}` })),
    );
    await producer.disconnect();
    const got: number[] = [];
    const running = await runConsumer<number>(kafka, {
      groupId: testGroupId("loop"),
      topics: [topic],
      decode: (r) => ({ ok: true, value: Number(r.value?.toString().slice(1)) }),
      handle: async ({ value }) => {
        got.push(value);
      },
    });
    await running.joined;
    const deadline = Date.now() + 20_000;
    while (got.length < 10 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await running.stop();
    await own.delete();
    expect(got).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it("runs back-to-back transactions with sendOffsets without losing a commit", async () => {
    const own = await createTestTopics({ "smoke.txin": {}, "smoke.txout": {} });
    const groupId = testGroupId("txloop");
    const tx = await createTransactionalProducer(kafka, {
      transactionalId: `txloop-${Date.now()}`,
    });
    // Each commit is followed at once by the next AddOffsetsToTxn: the case where
    // the coordinator answers CONCURRENT_TRANSACTIONS and we must retry.
    for (let i = 0; i < 20; i++) {
      await tx.transaction(async (t) => {
        await t.send(own.names["smoke.txout"], [{ key: "k", value: `out-${i}` }]);
        await t.sendOffsets(groupId, [
          { topic: own.names["smoke.txin"], partition: 0, offset: String(i + 1) },
        ]);
      });
    }
    await tx.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    const offsets = await admin.fetchOffsets({ groupId, topics: [own.names["smoke.txin"]] });
    await admin.disconnect();
    expect(offsets[0]?.partitions[0]?.offset).toBe("20");
    const out = await collect(own.names["smoke.txout"], 20, true);
    expect(out).toEqual(Array.from({ length: 20 }, (_, i) => `out-${i}`));
    await own.delete();
  });

  it("fences a zombie: creating a producer with the same transactional id fences the older one", async () => {
    const id = `fence-${Date.now()}`;
    const zombie = await createTransactionalProducer(kafka, { transactionalId: id });
    await zombie.transaction(async (t) => {
      await t.send(topics.names["smoke.out"], [{ key: "fence", value: "zombie-before" }]);
    });
    const successor = await createTransactionalProducer(kafka, { transactionalId: id });
    await expect(
      zombie.transaction(async (t) => {
        await t.send(topics.names["smoke.out"], [{ key: "fence", value: "zombie-after" }]);
      }),
    ).rejects.toThrow();
    await successor.transaction(async (t) => {
      await t.send(topics.names["smoke.out"], [{ key: "fence", value: "successor" }]);
    });
    await zombie.disconnect().catch(() => {});
    await successor.disconnect();
  });
});
