// A backlog is taken in batches that ramp up from firstBatchEvents to the cap
// (ADR 116), and what they write is what one big batch would have written.
import type { FxProducer, PgPool } from "@fxcore/infra";
import { testGroupId } from "@fxcore/infra/testing";
import type { Serde } from "@fxcore/schemas";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyAuditTrail } from "../../src/audit/audit-store.ts";
import { MemoryReadModels } from "../../src/models/memory.ts";
import { readModelSnapshot } from "../../src/store/snapshot.ts";
import { pairs } from "../fixtures.ts";
import {
  encodeEvent,
  type ProjectionKafka,
  projectionKafka,
  startFixtureConsumer,
  waitFor,
} from "../harness.ts";
import { scriptedSession } from "../session.ts";

let fixture: ProjectionKafka | undefined;
let pool: PgPool;
let topics: ProjectionKafka["topics"];
let producer: FxProducer;
let serde: Serde;

beforeAll(async () => {
  fixture = await projectionKafka("projramp", "projection-ramp");
  ({ topics, producer, serde } = fixture);
  pool = fixture.database.pool;
}, 60_000);
afterAll(() => fixture?.close());

describe("projection consumer batch ramp", () => {
  it("given a backlog, then the first batches after the start are capped at 50, 100, 200 … up to the 400 cap, and the read models and audit chain hold every event once", async () => {
    const session = scriptedSession(600, 23);
    const names = { orders: topics.names["fx.orders"], executions: topics.names["fx.executions"] };
    const encoded = await Promise.all(session.map((e) => encodeEvent(serde, names, e)));
    for (const topic of [names.orders, names.executions]) {
      const records = encoded.filter((r) => r.topic === topic);
      await producer.send(
        topic,
        records.map((r) => ({ key: r.key, value: r.value })),
      );
    }

    const sizes: number[] = [];
    const c = await startFixtureConsumer(fixture!, testGroupId("ramp"), {
      maxEventsPerTransaction: 400,
      firstBatchEvents: 50,
      onBatch: (b) => void sizes.push(b.result.eventIds.length),
    });
    try {
      await c.joined;
      await waitFor(async () => sizes.reduce((a, n) => a + n, 0) === session.length);
    } finally {
      await c.stop();
    }

    sizes.forEach((n, i) => {
      expect(n).toBeLessThanOrEqual(Math.min(400, 50 * 2 ** i));
    });
    // A queued backlog fills the ramped caps: the batches are not all tiny.
    expect(Math.max(...sizes)).toBeGreaterThan(100);

    const expected = new MemoryReadModels(pairs);
    for (const e of session) expected.apply(e);
    const snap = await readModelSnapshot(pool, "rm_v1");
    expect(snap.orders).toEqual(
      [...expected.orders.values()].sort((a, b) => (a.orderId < b.orderId ? -1 : 1)),
    );
    expect(snap.executions.length).toBe([...expected.reports.values()].flat().length);
    expect(await verifyAuditTrail(pool)).toMatchObject({ ok: true, records: session.length });
  }, 120_000);
});
