// A batch that fails in Postgres is not lost and not half-applied: the
// consumer resyncs to the stored offsets and retries until it goes through.
import { testGroupId } from "@fxcore/infra/testing";
import type { Serde } from "@fxcore/schemas";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyAuditTrail } from "../../src/audit/audit-store.ts";
import { decodeWith } from "../../src/consumer/decode.ts";
import { MemoryReadModels } from "../../src/models/memory.ts";
import { readModelSnapshot } from "../../src/store/snapshot.ts";
import { pairs } from "../fixtures.ts";
import {
  type ProjectionDatabase,
  type ProjectionKafka,
  processedCount,
  projectionKafka,
  publishEach,
  sleep,
  startFixtureConsumer,
  waitFor,
} from "../harness.ts";
import { scriptedSession } from "../session.ts";

let fixture: ProjectionKafka | undefined;
let database: ProjectionDatabase;
let serde: Serde;

beforeAll(async () => {
  fixture = await projectionKafka("projfail", "projection-fail-it");
  ({ database, serde } = fixture);
}, 60_000);
afterAll(() => fixture?.close());

describe("projection consumer when Postgres refuses a batch", () => {
  it("given trades that cannot be written for a while, then nothing is applied meanwhile and afterwards every read model is exact", async () => {
    const { pool } = database;
    const session = scriptedSession(200, 29);
    // Every trade row fails until the constraint goes: any batch with a trade rolls back.
    await pool.query(
      "ALTER TABLE rm_v1.trades ADD CONSTRAINT no_trades_yet CHECK (qty < 0) NOT VALID",
    );
    const c = await startFixtureConsumer(fixture!, testGroupId("projfail"), {
      decode: decodeWith(serde),
    });
    await c.joined;
    await publishEach(fixture!, session);
    await sleep(3_000);
    const { rows: trades } = await pool.query("SELECT count(*)::int AS n FROM rm_v1.trades");
    expect(trades[0]?.n).toBe(0);
    expect(await processedCount(pool)).toBeLessThan(session.length);

    await pool.query("ALTER TABLE rm_v1.trades DROP CONSTRAINT no_trades_yet");
    await waitFor(async () => (await processedCount(pool)) === session.length);
    await sleep(1_000);
    await c.stop();

    const expected = new MemoryReadModels(pairs);
    for (const e of session) expected.apply(e);
    const snap = await readModelSnapshot(pool, "rm_v1");
    expect(await processedCount(pool)).toBe(session.length);
    expect(snap.orders).toEqual(
      [...expected.orders.values()].sort((a, b) => (a.orderId < b.orderId ? -1 : 1)),
    );
    expect(snap.trades.length).toBe([...expected.trades.values()].flat().length);
    expect(snap.executions.length).toBe([...expected.reports.values()].flat().length);
    for (const p of snap.positions) expect(p).toEqual(expected.position(p.account, p.symbol));
    expect(snap.balances).toEqual(expected.balances);
    expect(await verifyAuditTrail(pool)).toMatchObject({ ok: true, records: session.length });
  }, 120_000);
});
