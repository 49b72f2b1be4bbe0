// Kill -9 the real service repeatedly during a burst: read models stay exact,
// the audit chain verifies.
import type { ChildProcess } from "node:child_process";
import { appendFileSync } from "node:fs";
import type { FxProducer, PgPool } from "@fxcore/infra";
import { testGroupId } from "@fxcore/infra/testing";
import type { Serde } from "@fxcore/schemas";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyAuditTrail } from "../../src/audit/audit-store.ts";
import type { EventEnvelope } from "../../src/models/envelope.ts";
import { MemoryReadModels } from "../../src/models/memory.ts";
import { pairLookup } from "../../src/reference-pairs.ts";
import { readModelSnapshot } from "../../src/store/snapshot.ts";
import {
  encodeEvent,
  type ProjectionKafka,
  processedCount,
  projectionKafka,
  sleep,
  spawnProjectionService,
} from "../harness.ts";
import { scriptedSession } from "../session.ts";

let fixture: ProjectionKafka | undefined;
let pool: PgPool;
let topics: ProjectionKafka["topics"];
let producer: FxProducer;
let serde: Serde;
const children: ChildProcess[] = [];

beforeAll(async () => {
  // The service migrates on start.
  fixture = await projectionKafka("projkill", "projection-kill-it", { migrate: false });
  ({ topics, producer, serde } = fixture);
  ({ pool } = fixture.database);
}, 60_000);
afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
  await fixture?.close();
});

const encode = async (e: EventEnvelope) => {
  const r = await encodeEvent(
    serde,
    { orders: topics.names["fx.orders"], executions: topics.names["fx.executions"] },
    e,
  );
  return { topic: r.topic, record: { key: r.key, value: r.value } };
};

const spawnService = (groupId: string) => {
  const c = spawnProjectionService(fixture!, {
    port: 18191,
    groupId,
    logLevel: process.env.KILL9_LOG ? "debug" : "warn",
    stdout: process.env.KILL9_LOG ? "pipe" : "ignore",
  });
  if (process.env.KILL9_LOG)
    c.stdout?.on("data", (d: Buffer) => appendFileSync(process.env.KILL9_LOG as string, d));
  children.push(c);
  return c;
};
const processed = () => processedCount(pool);

describe("kill -9 during a burst", () => {
  it("given the service is SIGKILLed five times while it projects, then read models equal the reference and the audit chain verifies", async () => {
    const session = scriptedSession(6_000, 23);
    const encoded = await Promise.all(session.map(encode));
    const groupId = testGroupId("projkill");
    let kills = 0;
    const atKill: number[] = [];
    // publish in the background while the service is being killed
    const publishing = (async () => {
      // per-topic order is kept: each chunk goes out topic by topic, in session order
      for (let i = 0; i < encoded.length; i += 40) {
        const chunk = encoded.slice(i, i + 40);
        for (const topic of [topics.names["fx.orders"], topics.names["fx.executions"]]) {
          const records = chunk.filter((c) => c.topic === topic).map((c) => c.record);
          if (records.length) await producer.send(topic, records);
        }
        if (kills < 5) await sleep(600);
      }
    })();

    for (; kills < 5; kills++) {
      const c = spawnService(groupId);
      // wait until this incarnation makes progress, then kill it mid-stream
      const before = await processed();
      const until = Date.now() + 60_000;
      while ((await processed()) === before && Date.now() < until) await sleep(20);
      await sleep(30 + kills * 40);
      c.kill("SIGKILL");
      await new Promise((r) => c.once("exit", r));
      atKill.push(await processed());
    }
    await publishing;
    const last = spawnService(groupId);
    const end = Date.now() + 90_000;
    while ((await processed()) < session.length && Date.now() < end) await sleep(300);
    await sleep(1_000);
    last.kill("SIGTERM");
    await new Promise((r) => last.once("exit", r));

    expect(await processed()).toBe(session.length);
    const expected = new MemoryReadModels(pairLookup());
    for (const e of session) expected.apply(e);
    const snap = await readModelSnapshot(pool, "rm_v1");
    expect(snap.orders.length).toBe(expected.orders.size);
    for (const o of snap.orders) {
      const x = expected.order(o.orderId);
      // createdAt/updatedAt and the cross-topic arrival order aside, the FIX state must be identical
      expect({
        s: o.ordStatus,
        c: o.cumQty,
        l: o.leavesQty,
        n: o.notional,
        q: o.orderQty,
        p: o.price,
      }).toEqual({
        s: x?.ordStatus,
        c: x?.cumQty,
        l: x?.leavesQty,
        n: x?.notional,
        q: x?.orderQty,
        p: x?.price,
      });
    }
    for (const p of snap.positions) expect(p).toEqual(expected.position(p.account, p.symbol));
    for (const [k, v] of expected.balances) expect(snap.balances.get(k) ?? 0n).toBe(v);
    expect(snap.trades.length).toBe([...expected.trades.values()].flat().length);
    expect(snap.executions.length).toBe([...expected.reports.values()].flat().length);
    const sorted = (l: typeof snap.depth) =>
      l.map((d) => `${d.symbol}|${d.side}|${d.price}|${d.qty}|${d.orders}`).sort();
    expect(sorted(snap.depth)).toEqual(sorted([...expected.depth.values()]));
    const risk = (l: { account: string; symbol: string; notional: bigint; orders: number }[]) =>
      l.map((x) => `${x.account}|${x.symbol}|${x.notional}|${x.orders}`).sort();
    expect(risk(snap.exposure)).toEqual(risk([...expected.exposure.values()]));
    expect(snap.referencePrices).toEqual(
      [...expected.referencePrices.values()].sort((a, b) => (a.symbol < b.symbol ? -1 : 1)),
    );
    for (const c of snap.candles)
      expect(c).toEqual(expected.candles.get(`${c.symbol}|${c.interval}|${c.start}`));
    expect(await verifyAuditTrail(pool)).toMatchObject({ ok: true, records: session.length });
    console.log("processed at each kill:", atKill.join(", "), "of", session.length);
    expect(kills).toBe(5);
    // the kills landed while work was in progress, not before or after it
    expect(
      atKill.filter((n, i) => n > 0 && n < session.length && n > (atKill[i - 1] ?? 0)).length,
    ).toBeGreaterThanOrEqual(4);
  }, 480_000);
});
