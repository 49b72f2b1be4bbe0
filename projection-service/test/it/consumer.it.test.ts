import type { FxProducer, Kafka, PgPool } from "@fxcore/infra";
import { testGroupId } from "@fxcore/infra/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyAuditTrail } from "../../src/audit/audit-store.ts";
import type { ProjectionConsumer } from "../../src/consumer/projection-consumer.ts";
import type { EventEnvelope } from "../../src/models/envelope.ts";
import { MemoryReadModels } from "../../src/models/memory.ts";
import { readModelSnapshot } from "../../src/store/snapshot.ts";
import { pairs } from "../fixtures.ts";
import {
  type ProjectionDatabase,
  type ProjectionKafka,
  processedCount,
  projectionKafka,
  publishEach,
  startFixtureConsumer,
  waitFor,
} from "../harness.ts";
import { scriptedSession } from "../session.ts";

let fixture: ProjectionKafka | undefined;
let database: ProjectionDatabase;
let pool: PgPool;
let topics: ProjectionKafka["topics"];
let kafka: Kafka;
let producer: FxProducer;

beforeAll(async () => {
  fixture = await projectionKafka("projcons", "projection-it");
  ({ database, topics, kafka, producer } = fixture);
  pool = database.pool;
}, 60_000);
afterAll(() => fixture?.close());

const publish = (events: readonly EventEnvelope[]) => publishEach(fixture!, events);

const start = (groupId: string) => startFixtureConsumer(fixture!, groupId);

const processed = () => processedCount(pool);

describe("projection consumer on real Kafka, registry and Postgres", () => {
  it("given a session on both topics and a poison record, then read models match, the poison goes to the DLQ, and a restart resumes from stored offsets without double counting", async () => {
    const session = scriptedSession(150, 11);
    const half = Math.floor(session.length / 2);
    await publish(session.slice(0, half));
    await producer.send(topics.names["fx.orders"], [
      { key: "EURUSD", value: Buffer.from("not avro at all") },
    ]);

    let c: ProjectionConsumer = await start(testGroupId("proj"));
    await c.joined;
    await waitFor(async () => (await processed()) === half);
    await c.stop();

    // A new group has no Kafka offsets: only the offsets stored in Postgres keep it from re-reading.
    await publish(session.slice(half));
    c = await start(testGroupId("proj"));
    await c.joined;
    await waitFor(async () => (await processed()) === session.length);
    await new Promise((r) => setTimeout(r, 1_000));
    await c.stop();
    expect(await processed()).toBe(session.length);

    const expected = new MemoryReadModels(pairs);
    for (const e of session) expected.apply(e);
    const snap = await readModelSnapshot(pool, "rm_v1");
    expect(snap.orders).toEqual(
      [...expected.orders.values()].sort((a, b) => (a.orderId < b.orderId ? -1 : 1)),
    );
    expect(snap.trades.length).toBe([...expected.trades.values()].flat().length);
    for (const p of snap.positions) expect(p).toEqual(expected.position(p.account, p.symbol));
    expect(snap.executions.length).toBe([...expected.reports.values()].flat().length);
    expect(await verifyAuditTrail(pool)).toMatchObject({ ok: true, records: session.length });

    const dlqConsumer = kafka.consumer({ groupId: testGroupId("dlq") });
    await dlqConsumer.connect();
    await dlqConsumer.subscribe({ topic: topics.names["fx.dlq"], fromBeginning: true });
    const reasons: string[] = [];
    await dlqConsumer.run({
      eachMessage: async ({ message }) =>
        void reasons.push(String(message.headers?.["fx-dlq-reason"])),
    });
    await waitFor(async () => reasons.length > 0, 20_000);
    await dlqConsumer.disconnect();
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toMatch(/MAGIC|magic/);
  }, 120_000);
});
