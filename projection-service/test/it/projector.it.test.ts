import { PostgresEventStore } from "@fxcore/event-store";
import type { PgPool } from "@fxcore/infra";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyAuditTrail } from "../../src/audit/audit-store.ts";
import { topOfBook } from "../../src/models/depth.ts";
import type { EventEnvelope } from "../../src/models/envelope.ts";
import { MemoryReadModels } from "../../src/models/memory.ts";
import {
  type DecodedEvent,
  executionStream,
  projectBatch,
} from "../../src/projector/project-batch.ts";
import { readModelSnapshot } from "../../src/store/snapshot.ts";
import { pairs } from "../fixtures.ts";
import { type ProjectionDatabase, projectionDatabase } from "../harness.ts";
import { scriptedSessionWithBooks } from "../session.ts";

let database: ProjectionDatabase | undefined;
let pool: PgPool;

beforeAll(async () => {
  database = await projectionDatabase("projector");
  pool = database.pool;
});
afterAll(() => database?.close());

const decoded = (envs: readonly EventEnvelope[]): DecodedEvent[] =>
  envs.map((envelope) => ({
    envelope,
    raw: {
      value: Buffer.from(
        JSON.stringify(envelope.event, (_k, v) => (typeof v === "bigint" ? v.toString() : v)),
      ),
      schemaId: 1,
      schemaVersion: 1,
    },
  }));

describe("projector on Postgres", () => {
  it("given a scripted session in batches with redeliveries, then Postgres equals the in-memory models, the event store holds every matcher output once and the audit trail verifies", async () => {
    const { events: session, books } = scriptedSessionWithBooks(400);
    const events = decoded(session);
    const store = new PostgresEventStore(pool);
    const problems: string[] = [];
    const opts = {
      schema: "rm_v1",
      pairs,
      eventStore: store,
      audit: true,
      onProblem: (id: string, p: string) => problems.push(`${id} ${p}`),
    };
    // batches of 37, each redelivering the previous batch's last 5 events (a crash before the offset commit)
    for (let i = 0, off = 0; i < events.length; i += 37) {
      const from = Math.max(0, i - 5);
      await projectBatch(pool, opts, {
        source: { topic: "fx.orders", partition: 0, nextOffset: BigInt(++off) },
        events: events.slice(from, i + 37),
      });
    }
    const expected = new MemoryReadModels(pairs);
    for (const e of session) expect(expected.apply(e).ok).toBe(true);

    const snap = await readModelSnapshot(pool, "rm_v1");
    expect(snap.orders).toEqual(
      [...expected.orders.values()].sort((a, b) => (a.orderId < b.orderId ? -1 : 1)),
    );
    expect(snap.depth).toEqual(
      [...expected.depth.values()].sort((a, b) =>
        `${a.symbol}|${a.side}|${a.price}`.localeCompare(`${b.symbol}|${b.side}|${b.price}`),
      ),
    );
    expect(snap.executions.length).toBe([...expected.reports.values()].flat().length);
    expect(snap.trades.length).toBe([...expected.trades.values()].flat().length);
    expect(snap.positions.length).toBe(expected.positions.size);
    for (const p of snap.positions) expect(p).toEqual(expected.position(p.account, p.symbol));
    for (const [k, v] of expected.balances) expect(snap.balances.get(k) ?? 0n).toBe(v);
    for (const c of snap.candles)
      expect(c).toEqual(expected.candles.get(`${c.symbol}|${c.interval}|${c.start}`));
    expect(snap.candles.length).toBe(expected.candles.size);
    const byKey = (a: { account: string; symbol: string }, b: typeof a) =>
      `${a.account}|${a.symbol}` < `${b.account}|${b.symbol}` ? -1 : 1;
    expect(snap.exposure.length).toBeGreaterThan(2);
    expect(snap.exposure).toEqual([...expected.exposure.values()].sort(byKey));
    expect(snap.referencePrices).toEqual(
      [...expected.referencePrices.values()].sort((a, b) => (a.symbol < b.symbol ? -1 : 1)),
    );
    // open exposure per pair equals Σ price × qty of the matching engine's own book
    for (const [symbol, book] of Object.entries(books)) {
      const resting = [...book.bids, ...book.asks].reduce(
        (a, l) => a + BigInt(l.price) * BigInt(l.qty),
        0n,
      );
      const mine = snap.exposure
        .filter((x) => x.symbol === symbol)
        .reduce((a, x) => a + x.notional, 0n);
      expect(mine).toBe(resting);
    }

    // depth equals the matching engine's own book
    for (const [symbol, book] of Object.entries(books)) {
      const top = topOfBook(snap.depth, symbol, 1_000);
      expect(top.bids.map((l) => [l.price, Number(l.qty), l.orders])).toEqual(
        book.bids.map((l) => [l.price, l.qty, l.orders]),
      );
      expect(top.asks.map((l) => [l.price, Number(l.qty), l.orders])).toEqual(
        book.asks.map((l) => [l.price, l.qty, l.orders]),
      );
    }
    // per-account execution sequence gapless
    for (const [account, reports] of expected.reports) {
      const seqs = snap.executions.filter((r) => r.account === account).map((r) => r.accountSeq);
      expect(seqs).toEqual(reports.map((_, i) => i + 1));
    }

    expect(problems).toEqual([]);
    const matcherOutputs = session.filter((e) => e.position === null);
    const { rows } = await pool.query<{ n: string }>(
      "SELECT count(*) AS n FROM es_events WHERE stream_id LIKE 'executions-%'",
    );
    expect(Number(rows[0]?.n)).toBe(matcherOutputs.length);
    const eur = await store.readStream(executionStream("EURUSD"));
    expect(eur.map((e) => Number(e.streamVersion))).toEqual(eur.map((_, i) => i));

    const audit = await verifyAuditTrail(pool);
    expect(audit).toMatchObject({ ok: true, records: session.length });
    const { rows: off } = await pool.query(
      "SELECT next_offset FROM rm_v1.consumer_offsets WHERE topic = 'fx.orders'",
    );
    expect(off[0]?.next_offset).toBe(String(Math.ceil(events.length / 37)));
  });

  it("the active views read the live version", async () => {
    const { rows } = await pool.query<{ n: string }>(
      "SELECT (SELECT count(*) FROM rm.orders) = (SELECT count(*) FROM rm_v1.orders) AS n",
    );
    expect(rows[0]?.n).toBe(true);
    const { rows: risk } = await pool.query<{ refs: string; exposure: string }>(
      "SELECT (SELECT count(*) FROM rm.reference_prices) AS refs, (SELECT count(*) FROM rm.open_exposure) AS exposure",
    );
    expect(Number(risk[0]?.refs)).toBe(2);
    expect(Number(risk[0]?.exposure)).toBeGreaterThan(2);
  });
});
