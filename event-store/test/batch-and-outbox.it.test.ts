import { randomUUID } from "node:crypto";
import { createPgPool, type PgPool } from "@fxcore/infra";
import { createTestDatabase } from "@fxcore/infra/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  isUniqueViolation,
  migrateEventStore,
  OUTBOX_LANES,
  type OutboxMessage,
  type OutboxSession,
  PostgresEventStore,
  PostgresOutbox,
  type PublishedEvent,
  type Queryable,
  type StreamId,
  streamId,
} from "../src/index.ts";
import { newEvent } from "../src/testing/contract.ts";

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let pool: PgPool;
let store: PostgresEventStore;

beforeAll(async () => {
  db = await createTestDatabase("es_batch");
  pool = createPgPool({ connectionString: db.url, applicationName: "event-store-test", max: 10 });
  await migrateEventStore(pool);
  await migrateEventStore(pool); // applying twice is a no-op
  store = new PostgresEventStore(pool);
});
const sessions: OutboxSession[] = [];
const openSession = async (outbox: PostgresOutbox): Promise<OutboxSession> => {
  const session = await outbox.openSession();
  sessions.push(session);
  return session;
};
afterAll(async () => {
  for (const s of sessions) await s.close();
  await store.close();
  await pool.end();
  await db.drop();
});

const published = (n: number, key: string): PublishedEvent => ({
  ...newEvent(n),
  publish: { topic: "fx.orders", key },
});

const count = async (sql: string, params: unknown[] = []): Promise<number> =>
  Number((await pool.query<{ n: string }>(sql, params)).rows[0]?.n);

describe("batched append", () => {
  it("each item of a batch succeeds or fails on its own", async () => {
    const taken = streamId(`s-${randomUUID()}`);
    await store.append(taken, "no-stream", [newEvent(0)]);
    const a = streamId(`s-${randomUUID()}`);
    const b = streamId(`s-${randomUUID()}`);
    const results = await store.appendBatch([
      {
        stream: a,
        expected: "no-stream",
        events: [published(1, "EURUSD"), published(2, "EURUSD")],
      },
      { stream: taken, expected: "no-stream", events: [published(3, "EURUSD")] },
      { stream: b, expected: "no-stream", events: [published(4, "USDJPY")] },
    ]);
    expect(results.map((r) => r.ok)).toEqual([true, false, true]);
    expect(results[1]).toMatchObject({ ok: false, error: { streamId: taken, actual: 0n } });
    expect(await store.readStream(taken)).toHaveLength(1);
    // Outbox rows only for the winners' events, in the same transaction.
    expect(
      await count(
        "SELECT count(*) AS n FROM es_outbox o JOIN es_events e USING (global_position) WHERE e.stream_id = ANY($1)",
        [[a, b, taken]],
      ),
    ).toBe(3);
  });

  it("new streams of one event each (the place-order shape): payloads of any length byte for byte, a taken stream fails alone", async () => {
    const taken = streamId(`s-${randomUUID()}`);
    await store.append(taken, "no-stream", [newEvent(0)]);
    const streams = [0, 1, 2, 3].map(() => streamId(`s-${randomUUID()}`));
    // Lengths 0, 1 and 300: each payload is cut from one binary parameter at its own offset.
    const payloads = [0, 1, 300].map((n) =>
      Uint8Array.from({ length: n }, (_, i) => (i * 7 + n) & 0xff),
    );
    const events = payloads.map((payload, i) => ({ ...published(10 + i, "EURUSD"), payload }));
    const results = await store.appendBatch([
      {
        stream: streams[0] as StreamId,
        expected: "no-stream",
        events: [events[0] as PublishedEvent],
      },
      { stream: taken, expected: "no-stream", events: [published(20, "EURUSD")] },
      {
        stream: streams[1] as StreamId,
        expected: "no-stream",
        events: [events[1] as PublishedEvent],
      },
      { stream: streams[2] as StreamId, expected: "no-stream", events: [published(21, "USDJPY")] },
      {
        stream: streams[3] as StreamId,
        expected: "no-stream",
        events: [events[2] as PublishedEvent],
      },
    ]);
    expect(results.map((r) => r.ok)).toEqual([true, false, true, true, true]);
    expect(results[1]).toMatchObject({ ok: false, error: { streamId: taken, actual: 0n } });
    for (const [i, at] of [
      [0, 0],
      [1, 1],
      [2, 3],
    ] as const) {
      const [stored] = await store.readStream(streams[at] as StreamId);
      expect(stored?.streamVersion).toBe(0n);
      expect(Buffer.from(stored?.payload ?? [])).toEqual(Buffer.from(payloads[i] as Uint8Array));
    }
    expect(await store.readStream(taken)).toHaveLength(1);
    expect(
      await count(
        "SELECT count(*) AS n FROM es_outbox o JOIN es_events e USING (global_position) WHERE e.stream_id = ANY($1)",
        [[...streams, taken]],
      ),
    ).toBe(4);
  });

  it("two items for one stream in one batch: one wins whole, the loser leaves nothing", async () => {
    for (let round = 0; round < 10; round++) {
      const s = streamId(`s-${randomUUID()}`);
      const results = await store.appendBatch([
        { stream: s, expected: "no-stream", events: [published(1, "EURUSD")] },
        {
          stream: s,
          expected: "no-stream",
          events: [published(2, "EURUSD"), published(3, "EURUSD"), published(4, "EURUSD")],
        },
      ]);
      expect(results.filter((r) => r.ok)).toHaveLength(1);
      const stored = await store.readStream(s);
      const winner = results[0]?.ok ? 1 : 3;
      expect(stored).toHaveLength(winner);
      expect(
        await count(
          "SELECT count(*) AS n FROM es_outbox o JOIN es_events e USING (global_position) WHERE e.stream_id = $1",
          [s],
        ),
      ).toBe(winner);
    }
  });

  it("strict, in the caller's transaction: a taken revision throws the unique violation, a missing one is WrongExpectedVersion", async () => {
    const taken = streamId(`s-${randomUUID()}`);
    await store.append(taken, "no-stream", [newEvent(0)]);
    const fresh = streamId(`s-${randomUUID()}`);
    const inTx = async <T>(f: (c: Queryable) => Promise<T>): Promise<T> => {
      const client = await pool.connect();
      try {
        await client.query("BEGIN");
        const out = await f(client);
        await client.query("COMMIT");
        return out;
      } catch (e) {
        await client.query("ROLLBACK");
        throw e;
      } finally {
        client.release();
      }
    };
    for (const events of [
      [published(1, "EURUSD")],
      [published(2, "EURUSD"), published(3, "EURUSD")],
    ]) {
      const error = await inTx((via) =>
        store.appendBatch(
          [
            { stream: fresh, expected: "no-stream", events: [published(4, "EURUSD")] },
            { stream: taken, expected: "no-stream", events },
          ],
          { via, strict: true },
        ),
      ).catch((e: unknown) => e);
      expect(isUniqueViolation(error)).toBe(true);
    }
    // The whole transaction was rolled back: the fresh stream's event too.
    expect(await store.readStream(fresh)).toHaveLength(0);
    const results = await inTx((via) =>
      store.appendBatch(
        [
          { stream: fresh, expected: "no-stream", events: [published(5, "EURUSD")] },
          { stream: taken, expected: 5n, events: [published(6, "EURUSD")] },
        ],
        { via, strict: true },
      ),
    );
    expect(results.map((r) => r.ok)).toEqual([true, false]);
    expect(results[1]).toMatchObject({ ok: false, error: { streamId: taken, actual: 0n } });
    expect(await store.readStream(fresh)).toHaveLength(1);
    // One event, strict: the scalar statement, same rule.
    const one = await inTx((via) =>
      store.appendBatch(
        [{ stream: taken, expected: "no-stream", events: [published(7, "EURUSD")] }],
        {
          via,
          strict: true,
        },
      ),
    ).catch((e: unknown) => e);
    expect(isUniqueViolation(one)).toBe(true);
    expect(await store.readStream(taken)).toHaveLength(1);
  });

  it("events without publish get no outbox row", async () => {
    const s = streamId(`s-${randomUUID()}`);
    await store.append(s, "no-stream", [newEvent(1)]);
    expect(
      await count(
        "SELECT count(*) AS n FROM es_outbox o JOIN es_events e USING (global_position) WHERE e.stream_id = $1",
        [s],
      ),
    ).toBe(0);
  });
});

describe("single-event append", () => {
  it("keeps one generic plan per statement (no replanning per append), with the same outcomes for every expectation", async () => {
    // One connection, so its prepared statements are the ones we look at.
    const one = createPgPool({ connectionString: db.url, applicationName: "es-plans", max: 1 });
    const single = new PostgresEventStore(one);
    try {
      const append = (stream: StreamId, expected: "no-stream" | "any" | bigint, n: number) =>
        single.append(stream, expected, [published(n, "EURUSD")]);
      const streams = Array.from({ length: 12 }, () => streamId(`s-${randomUUID()}`));
      // Each expectation several times in a row: the plan cache decides after 5 executions.
      for (const s of streams)
        expect(await append(s, "no-stream", 1)).toMatchObject({
          value: { nextExpectedVersion: 0n },
        });
      for (const s of streams)
        expect(await append(s, "any", 2)).toMatchObject({ value: { nextExpectedVersion: 1n } });
      for (const s of streams)
        expect(await append(s, 1n, 3)).toMatchObject({ value: { nextExpectedVersion: 2n } });
      const plans = await one.query<{ name: string; generic: string; custom: string }>(
        `SELECT name, generic_plans AS generic, custom_plans AS custom FROM pg_prepared_statements
         WHERE name LIKE 'fxcore_es_append_one%'`,
      );
      expect(plans.rows.map((p) => p.name).sort()).toEqual([
        "fxcore_es_append_one_autocommit_v2",
        "fxcore_es_append_one_new_autocommit_v1",
      ]);
      for (const p of plans.rows) {
        // Postgres tries 5 custom plans before it settles on the generic one.
        expect(Number(p.custom), p.name).toBeLessThanOrEqual(5);
        expect(Number(p.generic), p.name).toBeGreaterThan(Number(p.custom));
      }
      // Behind and ahead: not written, the conflict names the stream's revision.
      for (const expected of [1n, 5n] as const)
        for (const s of streams)
          expect(await append(s, expected, 4)).toMatchObject({
            ok: false,
            error: { type: "WrongExpectedVersion", actual: 2n },
          });
      // A taken new stream: the plain INSERT's unique violation (which also
      // discards the pool's connection) is the same conflict.
      for (const s of streams)
        expect(await append(s, "no-stream", 4)).toMatchObject({
          ok: false,
          error: { type: "WrongExpectedVersion", actual: 2n },
        });
      // Each written event has its outbox row; nothing of the rejected ones.
      const written = "SELECT count(*) AS n FROM es_events WHERE stream_id = ANY($1)";
      expect(await count(written, [streams])).toBe(36);
      expect(
        await count(
          `SELECT count(*) AS n FROM es_events e JOIN es_outbox o USING (global_position)
           WHERE e.stream_id = ANY($1)`,
          [streams],
        ),
      ).toBe(36);
    } finally {
      await single.close();
      await one.end();
    }
  });
});

describe("outbox sessions", () => {
  it("a lane belongs to one session at a time; a dead session's lanes move on with their checkpoint", async () => {
    const outbox = new PostgresOutbox(pool);
    const keys = ["EURUSD", "GBPUSD", "USDJPY", "AUDUSD"];
    const s = streamId(`s-${randomUUID()}`);
    await store.append(
      s,
      "no-stream",
      Array.from({ length: 40 }, (_, i) => published(i, keys[i % keys.length] ?? "EURUSD")),
    );

    const one = await openSession(outbox);
    const two = await openSession(outbox);
    expect(await one.claimLanes(5)).toHaveLength(5);
    const got = await two.claimLanes();
    expect(got).toHaveLength(OUTBOX_LANES - 5);
    expect(got.some((l) => one.ownedLanes.includes(l))).toBe(false);
    expect(await one.claimLanes()).toEqual([]); // everything else is taken

    const readAll = async (): Promise<OutboxMessage[]> => [
      ...(await one.read(1000)),
      ...(await two.read(1000)),
    ];
    // Rows become readable once no older transaction is open in the cluster.
    let all: OutboxMessage[] = [];
    for (const end = Date.now() + 10_000; all.length < 40 && Date.now() < end; ) {
      all = (await readAll()).filter((m) => m.event.streamId === s);
      if (all.length < 40) await new Promise((r) => setTimeout(r, 50));
    }
    expect(all).toHaveLength(40);
    // Within a key, outbox order is append order.
    for (const k of keys) {
      const versions = all.filter((m) => m.key === k).map((m) => m.event.streamVersion);
      expect(versions).toEqual([...versions].sort((x, y) => (x < y ? -1 : 1)));
    }

    // `one` acknowledges half of its messages, then dies.
    const mine = (await one.read(1000)).filter((m) => m.event.streamId === s);
    const lastPerLane = new Map<number, OutboxMessage>();
    const counts = new Map<number, number>();
    for (const m of mine.slice(0, Math.ceil(mine.length / 2))) {
      lastPerLane.set(m.lane, m);
      counts.set(m.lane, (counts.get(m.lane) ?? 0) + 1);
    }
    await one.ack([...lastPerLane.values()], counts);
    const acked = new Set(mine.slice(0, Math.ceil(mine.length / 2)).map((m) => m.event.eventId));
    const lanesOfOne = one.ownedLanes;
    await one.close();

    const three = await openSession(outbox);
    expect([...(await three.claimLanes())].sort((a, b) => a - b)).toEqual(lanesOfOne);
    const resumed = (await three.read(1000)).filter((m) => m.event.streamId === s);
    const unacked = mine.filter((m) => !acked.has(m.event.eventId));
    expect(resumed.map((m) => m.event.eventId)).toEqual(
      expect.arrayContaining(unacked.map((m) => m.event.eventId)),
    );
    expect(resumed.some((m) => acked.has(m.event.eventId))).toBe(false);

    // Purging drops exactly the acknowledged rows; what is unacknowledged stays readable.
    const purged = await outbox.purgePublished();
    expect(purged).toBeGreaterThanOrEqual(acked.size);
    const left = await pool.query<{ event_id: string }>(
      "SELECT e.event_id FROM es_outbox o JOIN es_events e USING (global_position) WHERE e.stream_id = $1",
      [s],
    );
    const leftIds = new Set(left.rows.map((r) => r.event_id));
    expect([...acked].some((id) => leftIds.has(id))).toBe(false);
    expect(unacked.every((m) => leftIds.has(m.event.eventId))).toBe(true);
    await two.close();
    await three.close();
  });
});
