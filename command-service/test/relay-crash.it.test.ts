// The outbox relay under kill -9: relay processes are killed at random points
// while 10,000 commands go through command-service; every committed event
// must reach Kafka, in commit order per pair (after dropping duplicates by
// event id, which is what consumers do).
import { type ChildProcess, spawn } from "node:child_process";
import { openSync, writeSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { PostgresOutbox } from "@fxcore/event-store";
import { createKafka } from "@fxcore/infra";
import {
  createTestTopics,
  infraSettings,
  type TestTopics,
  testGroupId,
} from "@fxcore/infra/testing";
import { afterAll, beforeAll, expect, it } from "vitest";
import { ACCOUNTS_HEADER, EVENT_HEADERS } from "../src/index.ts";
import { type Harness, startHarness } from "./support/harness.ts";

const COMMANDS = 10_000;
const PAIRS = ["EURUSD", "GBPUSD", "USDJPY", "USDCHF", "AUDUSD", "USDCAD", "NZDUSD", "EURJPY"];
const PRICES: Record<string, string> = {
  EURUSD: "1.10000",
  GBPUSD: "1.25000",
  USDJPY: "150.000",
  USDCHF: "0.90000",
  AUDUSD: "0.65000",
  USDCAD: "1.35000",
  NZDUSD: "0.60000",
  EURJPY: "160.000",
};
const relayMain = fileURLToPath(new URL("../src/outbox-relay/main.ts", import.meta.url));

let h: Harness;
let topics: TestTopics<"fx.orders">;
const children = new Set<ChildProcess>();
/** Relays that own lanes, with when they got them. */
const working = new Map<ChildProcess, number>();
let selfKills = 0;

beforeAll(async () => {
  topics = await createTestTopics({ "fx.orders": { partitions: 4 } });
  h = await startHarness(topics.names["fx.orders"], "cs_relay");
});
afterAll(async () => {
  for (const c of children) c.kill("SIGKILL");
  await h?.dispose();
  await topics?.delete();
});

const startRelay = (): ChildProcess => {
  const child = spawn(process.execPath, [relayMain], {
    env: {
      ...process.env,
      DATABASE_URL: h.db.url,
      KAFKA_BROKERS: infraSettings().KAFKA_BROKERS,
      LOG_LEVEL: "info",
      // Half the lanes each, so both relays work; and some deaths exactly between publish and ack.
      RELAY_MAX_LANES: "16",
      RELAY_FAILPOINT_KILL_AFTER_SEND_PERMILLE: "100",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.add(child);
  // A relay becomes a kill candidate once it owns lanes (booting under load can take seconds).
  child.stdout?.on("data", (chunk: Buffer) => {
    if (!working.has(child) && chunk.toString().includes("lanes claimed"))
      working.set(child, Date.now());
    writeSync(relayLog, chunk);
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    if (chunk.toString().includes("failpoint")) selfKills++;
    writeSync(relayLog, chunk);
  });
  child.once("exit", () => {
    children.delete(child);
    working.delete(child);
  });
  return child;
};

// Relay logs go to a file (RELAY_TEST_LOG), not the test output.
const relayLogPath = process.env.RELAY_TEST_LOG ?? "/dev/null";
let relayLog: number;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

it("kill -9 at random points during a 10,000-command burst: every committed event on Kafka, in order per pair", async () => {
  // Chaos: two relays compete for lanes; every 300-1000 ms one of them dies by SIGKILL and a new one starts.
  relayLog = openSync(relayLogPath, "a");
  startRelay();
  startRelay();
  let kills = 0;
  let chaos = true;
  const chaosLoop = (async () => {
    while (chaos) {
      await sleep(300 + Math.random() * 700);
      // Only relays that own lanes: the kill must land mid-work.
      const victims = [...working].filter(([, since]) => Date.now() - since > 300).map(([c]) => c);
      const victim = victims[Math.floor(Math.random() * victims.length)];
      if (victim !== undefined && victim.exitCode === null) {
        victim.kill("SIGKILL");
        kills++;
      }
      // Replace the victim and any relay that killed itself at the failpoint.
      while (children.size < 2) startRelay();
    }
  })();

  // The burst, through the HTTP API, 64 requests in flight.
  let next = 0;
  const accepted: string[] = [];
  const worker = async () => {
    while (next < COMMANDS) {
      const i = next++;
      const symbol = PAIRS[i % PAIRS.length] ?? "EURUSD";
      const res = await h.service.app.inject({
        method: "POST",
        url: "/orders",
        headers: { [ACCOUNTS_HEADER]: "ACC-1", "content-type": "application/json" },
        payload: JSON.stringify({
          clOrdId: `burst-${i}`,
          account: "ACC-1",
          symbol,
          side: i % 2 === 0 ? "BUY" : "SELL",
          ordType: "LIMIT",
          price: PRICES[symbol],
          orderQty: "1000",
          timeInForce: "GTC",
        }),
      });
      expect(res.statusCode).toBe(200);
      accepted.push(res.json().orderId);
    }
  };
  const burstStart = performance.now();
  await Promise.all(Array.from({ length: 64 }, worker));
  const burstMs = performance.now() - burstStart;
  // On a quiet machine the burst can end before enough kills landed: keep the
  // chaos going while the relays are still publishing it (bounded).
  const killDeadline = Date.now() + 30_000;
  await sleep(1000);
  while (kills < 5 && Date.now() < killDeadline) await sleep(100);
  chaos = false;
  await chaosLoop;
  expect(accepted).toHaveLength(COMMANDS);
  expect(kills).toBeGreaterThanOrEqual(3);
  console.info(`burst done in ${Math.round(burstMs)} ms with ${kills} kills so far`);

  // Let the survivors drain the outbox.
  const outbox = new PostgresOutbox(h.pool);
  const deadline = Date.now() + 90_000;
  while ((await outbox.backlog()) > 0) {
    while (children.size < 2) startRelay();
    if (Date.now() > deadline) throw new Error("relay did not drain the outbox");
    await sleep(200);
  }
  for (const c of children) c.kill("SIGTERM");

  // What was committed, in commit (outbox) order.
  // (From es_events: the relay purges published outbox rows. Outbox order is
  // the log's (transaction_id, global_position); the key is the order's pair.)
  const events = await h.pool.query<{ event_id: string; cl_ord_id: string }>(
    `SELECT event_id, metadata->>'clOrdId' AS cl_ord_id FROM es_events ORDER BY transaction_id, global_position`,
  );
  const committed = {
    rows: events.rows.map((r) => ({
      event_id: r.event_id,
      message_key: PAIRS[Number(r.cl_ord_id.split("-")[1]) % PAIRS.length] ?? "",
    })),
  };
  expect(committed.rows).toHaveLength(COMMANDS);

  // What Kafka has, per partition in offset order.
  const kafka = createKafka({ brokers: topics.brokers, clientId: "relay-crash-check" });
  const consumer = kafka.consumer({ groupId: testGroupId("relay-crash") });
  await consumer.connect();
  await consumer.subscribe({ topic: topics.names["fx.orders"], fromBeginning: true });
  const seen: { key: string; eventId: string; value: Buffer }[] = [];
  const firstSeen = new Set<string>();
  await consumer.run({
    eachMessage: async ({ message }) => {
      const eventId = message.headers?.[EVENT_HEADERS.eventId]?.toString() ?? "";
      seen.push({
        key: message.key?.toString() ?? "",
        eventId,
        value: message.value ?? Buffer.alloc(0),
      });
      firstSeen.add(eventId);
    },
  });
  const readDeadline = Date.now() + 60_000;
  while (firstSeen.size < COMMANDS && Date.now() < readDeadline) await sleep(200);
  await consumer.disconnect();

  // Every committed event is there ...
  const committedIds = new Set(committed.rows.map((r) => r.event_id));
  expect(firstSeen.size).toBe(COMMANDS);
  expect([...firstSeen].every((id) => committedIds.has(id))).toBe(true);
  // ... duplicates are byte-identical re-sends of the same event id ...
  const byId = new Map<string, Buffer>();
  let duplicates = 0;
  for (const m of seen) {
    const prior = byId.get(m.eventId);
    if (prior === undefined) byId.set(m.eventId, m.value);
    else {
      duplicates++;
      expect(prior.equals(m.value)).toBe(true);
    }
  }
  // ... and, per pair, first occurrences come in commit order.
  for (const pair of PAIRS) {
    const want = committed.rows.filter((r) => r.message_key === pair).map((r) => r.event_id);
    const got: string[] = [];
    const once = new Set<string>();
    for (const m of seen)
      if (m.key === pair && !once.has(m.eventId)) {
        once.add(m.eventId);
        got.push(m.eventId);
      }
    expect(got).toEqual(want);
  }
  // The worst crash point was hit: records published but not acknowledged were sent again.
  expect(duplicates).toBeGreaterThan(0);
  console.info(
    `relay crash test: burst ${Math.round(burstMs)} ms, ${kills} kills + ${selfKills} at the failpoint, ${seen.length} records for ${COMMANDS} events (${duplicates} duplicates)`,
  );
}, 300_000);
