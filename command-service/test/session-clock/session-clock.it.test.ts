// The session clock against real Postgres, registry and Kafka, with the real
// matcher as a child process (ops port 18420): GTD and DAY orders placed
// through the command service get their TimeAdvanced appended to the event
// store + outbox after their expiry, the relay publishes it to fx.orders, and
// the matcher expires the orders on fx.executions. Also: a clock started
// after an expiry fell due (a restart) still ticks it, and two clocks tick
// each due time once.
import { mkdirSync } from "node:fs";
import { nextSessionClose, type TimestampNs } from "@fxcore/domain";
import { createKafka, createMetricsRegistry, createProducer, type Kafka } from "@fxcore/infra";
import {
  createTestTopics,
  infraSettings,
  type TestTopics,
  testGroupId,
} from "@fxcore/infra/testing";
import { type SpawnedMatcher, spawnMatcher } from "@fxcore/matcher/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nowNs } from "../../src/clock.ts";
import { ACCOUNTS_HEADER, OutboxRelay, SessionClock } from "../../src/index.ts";
import { type Harness, startHarness } from "../support/harness.ts";

const MATCHER_PORT = 18420;
const LOG_DIR = "/tmp/fxcore-test-logs/";
const S = 1_000_000_000n;

type Topic = "fx.orders" | "fx.executions" | "fx.snapshots" | "fx.dlq";
let topics: TestTopics<Topic>;
let h: Harness;
let kafka: Kafka;
let relay: OutboxRelay;
let stopProducer: () => Promise<void>;
let matcher: SpawnedMatcher | undefined;
const clocks: SessionClock[] = [];
const consumers: { disconnect(): Promise<void> }[] = [];

interface Seen {
  readonly key: string | undefined;
  readonly partition: number;
  readonly offset: bigint;
  readonly meta: { eventId: string; occurredAt: bigint; causationId: string | null };
  readonly payload: Record<string, unknown>;
}
const seen: Record<"orders" | "executions", Seen[]> = { orders: [], executions: [] };

const collect = async (topic: string, into: Seen[]) => {
  const consumer = kafka.consumer({ groupId: testGroupId("cs-clock-collect") });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message, partition }) => {
      const d = await h.serde.decode(message.value);
      if (!d.ok) return;
      into.push({
        key: message.key?.toString(),
        partition,
        offset: BigInt(message.offset),
        meta: d.value.meta as unknown as Seen["meta"],
        payload: d.value.payload as unknown as Record<string, unknown>,
      });
    },
  });
  consumers.push(consumer);
};

const waitFor = async <T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  ms = 15_000,
): Promise<T> => {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

const newClock = (
  o: {
    nowNs?: () => TimestampNs;
    intervalMs?: number;
    heartbeatMs?: number;
    pairs?: string[];
  } = {},
) => {
  const metrics = createMetricsRegistry({ service: "cs-clock-test", defaultMetrics: false });
  const clock = new SessionClock({
    pool: h.pool,
    store: h.service.store,
    codec: h.serde,
    topic: topics.names["fx.orders"],
    intervalMs: o.intervalMs ?? 50,
    metrics,
    ...(o.nowNs ? { nowNs: o.nowNs } : {}),
    ...(o.heartbeatMs === undefined ? {} : { heartbeatMs: o.heartbeatMs }),
    ...(o.pairs === undefined ? {} : { pairs: o.pairs }),
  });
  clocks.push(clock);
  return { clock, metrics };
};

const PRICES: Record<string, string> = {
  EURUSD: "1.10000",
  GBPUSD: "1.25000",
  USDJPY: "150.000",
  AUDUSD: "0.65000",
  NZDUSD: "0.60000",
  USDCHF: "0.90000",
};
let n = 0;
const place = async (symbol: string, tif: "GTD" | "DAY", expireTime?: bigint) => {
  const clOrdId = `clock-${process.pid}-${++n}`;
  const res = await h.service.app.inject({
    method: "POST",
    url: "/orders",
    headers: { [ACCOUNTS_HEADER]: "ACC-1", "content-type": "application/json" },
    payload: JSON.stringify({
      clOrdId,
      account: "ACC-1",
      symbol,
      side: "BUY",
      ordType: "LIMIT",
      price: PRICES[symbol],
      orderQty: "100000",
      timeInForce: tif,
      ...(expireTime === undefined ? {} : { expireTime: expireTime.toString() }),
    }),
  });
  expect(res.statusCode).toBe(200);
  const answer = res.json();
  expect(answer.report.execType).toBe("0");
  return { orderId: answer.orderId as string, eventId: answer.eventId as string };
};

/** TimeAdvanced events of a pair in the event store, decoded, in log order. */
const ticksOf = async (symbol: string) => {
  const { rows } = await h.pool.query<{
    event_id: string;
    payload: Buffer;
    global_position: string;
    metadata: Record<string, string>;
  }>(
    "SELECT event_id, payload, global_position, metadata FROM es_events WHERE stream_id = $1 ORDER BY global_position",
    [`clock-${symbol}`],
  );
  return Promise.all(
    rows.map(async (r) => {
      const d = await h.serde.decode(r.payload);
      if (!d.ok) throw new Error(d.error.message);
      return {
        eventId: r.event_id,
        position: r.global_position,
        metadata: r.metadata,
        meta: d.value.meta,
        payload: d.value.payload as unknown as {
          type: string;
          symbol: string;
          transactTime: bigint;
        },
      };
    }),
  );
};
const pending = async (symbol: string) =>
  (
    await h.pool.query<{ due_ns: string }>(
      "SELECT due_ns FROM cs_pending_expiries WHERE symbol = $1 ORDER BY due_ns",
      [symbol],
    )
  ).rows.map((r) => BigInt(r.due_ns));

const expiredOnExecutions = (orderId: string) =>
  waitFor(`OrderExpired of ${orderId} on fx.executions`, () =>
    seen.executions.find((r) => r.payload.type === "OrderExpired" && r.payload.orderId === orderId),
  );

beforeAll(async () => {
  mkdirSync(LOG_DIR, { recursive: true });
  const { KAFKA_BROKERS, SCHEMA_REGISTRY_URL } = infraSettings();
  topics = await createTestTopics({
    "fx.orders": { partitions: 2 },
    "fx.executions": { partitions: 2 },
    "fx.snapshots": { partitions: 2, config: { "cleanup.policy": "compact" } },
    "fx.dlq": { partitions: 1 },
  });
  h = await startHarness(topics.names["fx.orders"], "cs_clock");
  kafka = createKafka({ brokers: KAFKA_BROKERS, clientId: "cs-clock-test" });
  const producer = await createProducer(kafka);
  stopProducer = () => producer.disconnect();
  relay = new OutboxRelay({ pool: h.pool, producer, idleMs: 20 });
  relay.start();

  matcher = spawnMatcher({
    kafkaBrokers: KAFKA_BROKERS,
    registryUrl: SCHEMA_REGISTRY_URL,
    topics: topics.names,
    groupId: testGroupId("cs-clock-matcher"),
    port: MATCHER_PORT,
    logFile: `${LOG_DIR}command-service-session-clock-matcher.log`,
  });
  await collect(topics.names["fx.orders"], seen.orders);
  await collect(topics.names["fx.executions"], seen.executions);
  // The matcher must own its partitions before the first order, or it starts at the log end.
  await matcher.ready(60_000);
}, 90_000);

afterAll(async () => {
  for (const c of clocks) await c.stop();
  await matcher?.stop();
  for (const c of consumers) await c.disconnect();
  await relay?.stop();
  await stopProducer?.();
  await h?.dispose();
  await topics?.delete();
});

describe("session clock", () => {
  it("GTD: the expiry is recorded with the OrderAccepted; after it, a TimeAdvanced is stored with its outbox row, published to fx.orders after the order, and the matcher expires the order (GTD)", async () => {
    const expireTime = nowNs() + 2n * S;
    const order = await place("EURUSD", "GTD", expireTime);
    // Same transaction as the OrderAccepted: visible as soon as the answer is.
    expect(await pending("EURUSD")).toEqual([expireTime]);

    const { clock, metrics } = newClock();
    clock.start();
    const [tick] = await waitFor("EURUSD tick", async () => {
      const t = await ticksOf("EURUSD");
      return t.length > 0 ? t : undefined;
    });
    const seenAt = nowNs();
    if (tick === undefined) throw new Error("unreachable");
    expect(tick.payload).toEqual({
      type: "TimeAdvanced",
      symbol: "EURUSD",
      transactTime: expect.any(BigInt),
    });
    const t = tick.payload.transactTime;
    // Never before the expiry (it would expire nothing), and promptly after it.
    expect(t >= expireTime).toBe(true);
    expect(t - expireTime < 2n * S).toBe(true);
    expect(t <= seenAt).toBe(true);
    expect(tick.meta.eventId).toBe(tick.eventId);
    expect(tick.meta.occurredAt).toBe(t);
    expect(tick.meta.correlationId).toBe(tick.metadata.correlationId);
    expect(tick.metadata).toMatchObject({
      source: "session-clock",
      reason: "EXPIRY",
      dueNs: expireTime.toString(),
    });
    const outbox = await h.pool.query(
      "SELECT topic, message_key FROM es_outbox WHERE global_position = $1",
      [tick.position],
    );
    expect(outbox.rows).toEqual([{ topic: topics.names["fx.orders"], message_key: "EURUSD" }]);
    expect(await pending("EURUSD")).toEqual([]);

    // On fx.orders, in the pair's partition after the order it expires.
    const published = await waitFor("tick on fx.orders", () =>
      seen.orders.find((r) => r.meta.eventId === tick.eventId),
    );
    const accepted = seen.orders.find((r) => r.meta.eventId === order.eventId);
    expect(published.key).toBe("EURUSD");
    expect(published.payload).toMatchObject({ type: "TimeAdvanced", transactTime: t });
    expect(accepted?.partition).toBe(published.partition);
    expect((accepted?.offset ?? Number.MAX_SAFE_INTEGER) < published.offset).toBe(true);

    const expired = await expiredOnExecutions(order.orderId);
    expect(expired.payload).toMatchObject({ reason: "GTD", symbol: "EURUSD", transactTime: t });
    expect(expired.meta.causationId).toBe(tick.eventId);

    const text = await metrics.metrics();
    expect(text).toMatch(
      /fxcore_session_clock_ticks_total\{[^}]*symbol="EURUSD"[^}]*reason="EXPIRY"[^}]*\} 1/,
    );
    expect(text).toMatch(/fxcore_session_clock_lag_seconds_count\{[^}]*symbol="EURUSD"[^}]*\} 1/);
    await clock.stop();
  });

  it("DAY: the order's expiry is the next 17:00 New York close; a clock whose time reaches it ticks the pair and the matcher expires the order (DAY)", async () => {
    const order = await place("GBPUSD", "DAY");
    const { rows } = await h.pool.query<{ payload: Buffer }>(
      "SELECT payload FROM es_events WHERE event_id = $1",
      [order.eventId],
    );
    const d = await h.serde.decode(rows[0]?.payload);
    if (!d.ok) throw new Error(d.error.message);
    const accepted = d.value.payload as unknown as {
      transactTime: TimestampNs;
      expireTime: bigint;
    };
    const close = nextSessionClose(accepted.transactTime);
    expect(accepted.expireTime).toBe(close);
    expect(await pending("GBPUSD")).toEqual([close]);

    // Wall-clock now: nothing is due.
    const { clock: wall } = newClock();
    expect(await wall.pass()).toEqual({ type: "Ticked", ticks: [] });
    expect(await ticksOf("GBPUSD")).toEqual([]);

    // The clock's time source at one millisecond past the close.
    const { clock } = newClock({ nowNs: () => (close + 1_000_000n) as TimestampNs });
    const outcome = await clock.pass();
    expect(outcome).toEqual({
      type: "Ticked",
      ticks: [
        {
          symbol: "GBPUSD",
          transactTime: close + 1_000_000n,
          reason: "EXPIRY",
          earliestDueNs: close,
        },
      ],
    });
    const [tick] = await ticksOf("GBPUSD");
    expect(tick?.payload.transactTime).toBe(close + 1_000_000n);
    await waitFor("DAY tick on fx.orders", () =>
      seen.orders.find((r) => r.meta.eventId === tick?.eventId),
    );
    const expired = await expiredOnExecutions(order.orderId);
    expect(expired.payload).toMatchObject({ reason: "DAY", symbol: "GBPUSD" });
  });

  it("restart: an expiry that fell due while no clock ran is ticked by the next clock to start", async () => {
    const expireTime = nowNs() + 1n * S;
    const order = await place("USDJPY", "GTD", expireTime);
    await new Promise((r) => setTimeout(r, 1_300));
    expect(nowNs() > expireTime).toBe(true);
    // Nothing ran: still pending, not ticked, the order still open.
    expect(await pending("USDJPY")).toEqual([expireTime]);
    expect(await ticksOf("USDJPY")).toEqual([]);
    expect(seen.executions.some((r) => r.payload.orderId === order.orderId)).toBe(false);

    const { clock } = newClock();
    clock.start();
    const [tick] = await waitFor("USDJPY tick", async () => {
      const t = await ticksOf("USDJPY");
      return t.length > 0 ? t : undefined;
    });
    expect((tick?.payload.transactTime ?? 0n) >= expireTime).toBe(true);
    const expired = await expiredOnExecutions(order.orderId);
    expect(expired.payload).toMatchObject({ reason: "GTD" });
    await clock.stop();
  });

  it("while another session holds the clock lock, a pass appends nothing and the expiry stays pending", async () => {
    const expireTime = nowNs() + 200_000_000n;
    await place("NZDUSD", "GTD", expireTime);
    await new Promise((r) => setTimeout(r, 300));
    const other = await h.pool.connect();
    try {
      await other.query("BEGIN");
      await other.query("SELECT pg_advisory_xact_lock($1, 0)", [0x5c10]);
      const { clock } = newClock();
      expect(await clock.pass()).toEqual({ type: "NotLeader" });
      expect(await pending("NZDUSD")).toEqual([expireTime]);
      await other.query("COMMIT");
      const after = await clock.pass();
      expect(after.type === "Ticked" && after.ticks.map((t) => t.symbol)).toEqual(["NZDUSD"]);
    } finally {
      other.release();
    }
    expect(await ticksOf("NZDUSD")).toHaveLength(1);
  });

  it("two clocks at once: each due time is ticked exactly once", async () => {
    const a = newClock().clock;
    const b = newClock().clock;
    // Side by side on the same due expiry: one tick between them.
    const first = nowNs() + 300_000_000n;
    await place("AUDUSD", "GTD", first);
    await new Promise((r) => setTimeout(r, 400));
    const both = await Promise.all([a.pass(), b.pass()]);
    const ticked = both.flatMap((o) => (o.type === "Ticked" ? o.ticks : []));
    expect(ticked.map((t) => t.symbol)).toEqual(["AUDUSD"]);

    // Both running on short intervals over three more due times.
    const base = nowNs();
    const dues = [base + 600_000_000n, base + 1_200_000_000n, base + 1_800_000_000n];
    for (const due of dues) await place("AUDUSD", "GTD", due);
    a.start();
    b.start();
    await waitFor("three more AUDUSD ticks", async () =>
      (await ticksOf("AUDUSD")).length >= 4 ? true : undefined,
    );
    await new Promise((r) => setTimeout(r, 500));
    await a.stop();
    await b.stop();
    const ticks = (await ticksOf("AUDUSD")).map((t) => t.payload.transactTime);
    expect(ticks).toHaveLength(4);
    const [t0, ...rest] = ticks;
    expect((t0 ?? 0n) >= first).toBe(true);
    // The i-th tick covers the i-th due time and comes before the next one falls due.
    rest.forEach((t, i) => {
      expect(t >= (dues[i] ?? 0n)).toBe(true);
      if (i + 1 < dues.length) expect(t < (dues[i + 1] ?? 0n)).toBe(true);
    });
    expect(await pending("AUDUSD")).toEqual([]);
  });

  it("heartbeat: a pair with nothing due is ticked once per heartbeat, and not in between", async () => {
    let now = nowNs();
    const { clock } = newClock({ heartbeatMs: 1_000, pairs: ["USDCAD"], nowNs: () => now });
    const first = await clock.pass();
    expect(first).toEqual({
      type: "Ticked",
      ticks: [{ symbol: "USDCAD", transactTime: now, reason: "HEARTBEAT", earliestDueNs: null }],
    });
    now = (now + 999_000_000n) as TimestampNs;
    expect(await clock.pass()).toEqual({ type: "Ticked", ticks: [] });
    now = (now + 1_000_000n) as TimestampNs;
    const third = await clock.pass();
    expect(third.type === "Ticked" && third.ticks.map((t) => t.transactTime)).toEqual([now]);
    const stored = await ticksOf("USDCAD");
    expect(stored.map((t) => t.metadata.reason)).toEqual(["HEARTBEAT", "HEARTBEAT"]);
    await waitFor("heartbeat on fx.orders", () =>
      seen.orders.find((r) => r.meta.eventId === stored[1]?.eventId && r.key === "USDCAD"),
    );
  });

  it("home pairs: a clock ticks only its region's pairs and leaves the others' expiries pending", async () => {
    const expireTime = nowNs() + 200_000_000n;
    await place("USDCHF", "GTD", expireTime);
    await new Promise((r) => setTimeout(r, 300));
    const { clock: elsewhere } = newClock({ pairs: ["USDJPY", "AUDUSD"] });
    expect(await elsewhere.pass()).toEqual({ type: "Ticked", ticks: [] });
    expect(await pending("USDCHF")).toEqual([expireTime]);
    const { clock: home } = newClock({ pairs: ["EURUSD", "USDCHF"] });
    const outcome = await home.pass();
    expect(outcome.type === "Ticked" && outcome.ticks.map((t) => t.symbol)).toEqual(["USDCHF"]);
    expect(await ticksOf("USDCHF")).toHaveLength(1);
  });
});
