// The sequence-gap problem (ADR 050): a transaction that took its position
// first but commits last must still be read, by a reader that already
// returned the later position.
import { randomUUID } from "node:crypto";
import { createPgPool, type PgPool } from "@fxcore/infra";
import { createTestDatabase } from "@fxcore/infra/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type LogCheckpoint,
  logStart,
  migrateEventStore,
  PostgresEventStore,
  type RecordedEvent,
  streamId,
} from "../src/index.ts";
import { newEvent } from "../src/testing/contract.ts";

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let pool: PgPool;
let store: PostgresEventStore;

beforeAll(async () => {
  db = await createTestDatabase("es_watermark");
  pool = createPgPool({ connectionString: db.url, applicationName: "event-store-test", max: 20 });
  await migrateEventStore(pool);
  store = new PostgresEventStore(pool);
});
afterAll(async () => {
  await store.close();
  await pool.end();
  await db.drop();
});

const drain = async (from: LogCheckpoint): Promise<RecordedEvent[]> => {
  const out: RecordedEvent[] = [];
  let at = from;
  for (;;) {
    const batch = await store.readAll(at, 100);
    if (batch.length === 0) return out;
    out.push(...batch);
    at = batch.at(-1)?.checkpoint ?? at;
  }
};

describe("global log watermark", () => {
  it("never skips an append that committed after a later one was read", async () => {
    const early = await pool.connect();
    const late = await pool.connect();
    try {
      const sEarly = streamId(`early-${randomUUID()}`);
      const sLate = streamId(`late-${randomUUID()}`);
      // `early` takes its transaction id and position first ...
      await early.query("BEGIN");
      const [first] = await store.appendBatch(
        [{ stream: sEarly, expected: "no-stream", events: [newEvent(1)] }],
        { via: early },
      );
      // ... `late` takes the next ones and commits at once.
      await late.query("BEGIN");
      const [second] = await store.appendBatch(
        [{ stream: sLate, expected: "no-stream", events: [newEvent(2)] }],
        { via: late },
      );
      await late.query("COMMIT");
      if (!first?.ok || !second?.ok) throw new Error("appends failed");
      const pEarly = first.value.globalPositions[0] ?? 0n;
      const pLate = second.value.globalPositions[0] ?? 0n;
      expect(pEarly).toBeLessThan(pLate);

      // A naive reader ordered by position sees the late event and moves past the early one.
      const naive1 = await pool.query<{ p: string }>(
        "SELECT global_position AS p FROM es_events WHERE global_position > 0 ORDER BY 1",
      );
      expect(naive1.rows.map((r) => BigInt(r.p))).toEqual([pLate]);

      // The watermark reader holds back: nothing is readable while `early` is open.
      expect(await drain(logStart)).toEqual([]);
      const seen: RecordedEvent[] = [];
      const sub = store.subscribeToAll(logStart, (e) => {
        seen.push(e);
      });
      await new Promise((r) => setTimeout(r, 300));
      expect(seen).toEqual([]);

      await early.query("COMMIT");
      const naive2 = await pool.query<{ p: string }>(
        "SELECT global_position AS p FROM es_events WHERE global_position > $1 ORDER BY 1",
        [pLate.toString()],
      );
      expect(naive2.rows).toEqual([]); // the naive reader lost the early event for good

      // Visible once no older transaction is open anywhere in the cluster (other suites share it).
      let read: RecordedEvent[] = [];
      for (const end = Date.now() + 10_000; read.length < 2 && Date.now() < end; ) {
        read = await drain(logStart);
        if (read.length < 2) await new Promise((r) => setTimeout(r, 50));
      }
      expect(read.map((e) => e.streamId)).toEqual([sEarly, sLate]);
      const end = Date.now() + 5000;
      while (seen.length < 2 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
      await sub.close();
      expect(seen.map((e) => e.globalPosition)).toEqual([pEarly, pLate]);
    } finally {
      early.release();
      late.release();
    }
  });

  it("a live subscriber sees every committed append exactly once under random commit order", async () => {
    const tag = randomUUID();
    const seen = new Map<string, number>();
    const sub = store.subscribeToAll(
      logStart,
      (e) => {
        if (e.metadata.correlationId === tag) seen.set(e.eventId, (seen.get(e.eventId) ?? 0) + 1);
      },
      { batchSize: 7 },
    );
    const committed = new Set<string>();
    const writer = async (w: number): Promise<void> => {
      const c = await pool.connect();
      try {
        for (let i = 0; i < 40; i++) {
          const ev = { ...newEvent(i), metadata: { correlationId: tag } };
          await c.query("BEGIN");
          const [r] = await store.appendBatch(
            [{ stream: streamId(`w${w}-${i}-${tag}`), expected: "no-stream", events: [ev] }],
            { via: c },
          );
          await new Promise((res) => setTimeout(res, Math.random() * 8));
          const commit = Math.random() < 0.85;
          await c.query(commit ? "COMMIT" : "ROLLBACK");
          if (commit && r?.ok) committed.add(ev.eventId);
        }
      } finally {
        c.release();
      }
    };
    await Promise.all(Array.from({ length: 8 }, (_, w) => writer(w)));
    const end = Date.now() + 10_000;
    while (seen.size < committed.size && Date.now() < end)
      await new Promise((r) => setTimeout(r, 20));
    await sub.close();
    expect(committed.size).toBeGreaterThan(200);
    expect(new Set(seen.keys())).toEqual(committed);
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
  });
});
