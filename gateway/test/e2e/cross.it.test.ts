// The whole chain on real Kafka, Postgres and schema registry, on per-suite
// topics: gateway (in process, port 18186) → command-service (in process,
// 18187) → outbox relay → fx.orders → matcher (child, ops 18188) →
// fx.executions → projection-service (child, ops 18189) → rm.executions →
// the gateway's gap-fill endpoint. Two accounts cross on EUR/USD; then a
// replace, a cancel, and a cancel that comes too late.

import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { createWriteStream, mkdirSync } from "node:fs";
import { type CommandService, createCommandService, OutboxRelay } from "@fxcore/command-service";
import { REFERENCE_CATALOG } from "@fxcore/domain";
import { type SpawnedMatcher, spawnMatcher } from "@fxcore/matcher/testing";
import { createKafka, createPgPool, createProducer, type PgPool } from "@fxcore/infra";
import {
  createTestDatabase,
  createTestTopics,
  infraSettings,
  type TestDatabase,
  type TestTopics,
  testGroupId,
} from "@fxcore/infra/testing";
import type {} from "@fxcore/infra/testing/global-setup";
import { createSerde } from "@fxcore/schemas";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKey, migrateKeyStore, pgKeyLookup } from "../../src/auth/key-store.ts";
import { signedHeaders } from "../../src/auth/signing.ts";
import { pgExecutionSource } from "../../src/executions/pg-source.ts";
import { buildApp, DEFAULT_RATE_LIMITS } from "../../src/http/app.ts";
import { commandServiceClient } from "../../src/upstream/command-client.ts";
import { readSse } from "../support/sse.ts";

const GW = 18186;
const CS = 18187;
const LOG_DIR = new URL("../../../.fxcore/logs/", import.meta.url).pathname;
const master = randomBytes(32);
const children = new Set<ChildProcess>();
let topics: TestTopics<"fx.orders" | "fx.executions" | "fx.snapshots" | "fx.dlq">;
let db: TestDatabase;
let pool: PgPool;
let cs: CommandService;
let relay: OutboxRelay;
let stopProducer: () => Promise<void>;
let gw: FastifyInstance;
let matcher: SpawnedMatcher | undefined;
let seller: { keyId: string; secret: Buffer };
let buyer: { keyId: string; secret: Buffer };

const child = (name: string, main: string, env: Record<string, string>) => {
  const log = createWriteStream(`${LOG_DIR}gateway-cross-${name}.log`, { flags: "a" });
  const c = spawn(process.execPath, [new URL(main, import.meta.url).pathname], {
    env: { ...process.env, ...env, LOG_LEVEL: "info", OTEL_TRACES_EXPORTER: "none" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  c.stdout?.pipe(log);
  c.stderr?.pipe(log);
  children.add(c);
  c.on("exit", () => children.delete(c));
};

beforeAll(async () => {
  mkdirSync(LOG_DIR, { recursive: true });
  const { KAFKA_BROKERS, SCHEMA_REGISTRY_URL } = infraSettings();
  topics = await createTestTopics({
    "fx.orders": { partitions: 4 },
    "fx.executions": { partitions: 4 },
    "fx.snapshots": { partitions: 4, config: { "cleanup.policy": "compact" } },
    "fx.dlq": { partitions: 1 },
  });
  db = await createTestDatabase("gwx");
  pool = createPgPool({ connectionString: db.url, applicationName: "gateway-cross", max: 8 });
  await migrateKeyStore(pool);
  const mk = async (account: string) => {
    const k = await createKey(pool, master, { accounts: [account], roles: ["trader"] });
    return { keyId: k.keyId, secret: Buffer.from(k.secret, "base64url") };
  };
  seller = await mk("ACC-S");
  buyer = await mk("ACC-B");

  cs = await createCommandService({
    pool,
    codec: createSerde({ registryUrl: SCHEMA_REGISTRY_URL }),
    topic: topics.names["fx.orders"],
  });
  await pool.query(
    `INSERT INTO cs_accounts (account, enabled, max_order_qty, max_notional, credit_limit)
     VALUES ('ACC-S', true, 50000000, 100000000, 1000000000), ('ACC-B', true, 50000000, 100000000, 1000000000)`,
  );
  await cs.risk.refresh();
  await cs.app.listen({ host: "127.0.0.1", port: CS });
  const producer = await createProducer(
    createKafka({ brokers: KAFKA_BROKERS, clientId: "gateway-cross-relay" }),
  );
  stopProducer = () => producer.disconnect();
  relay = new OutboxRelay({ pool, producer });
  relay.start();

  matcher = spawnMatcher({
    kafkaBrokers: KAFKA_BROKERS,
    registryUrl: SCHEMA_REGISTRY_URL,
    topics: topics.names,
    groupId: testGroupId("gw-cross-matcher"),
    port: 18188,
    logFile: `${LOG_DIR}gateway-cross-matcher.log`,
    env: { OTEL_TRACES_EXPORTER: "none" },
  });
  child("projection", "../../../projection-service/src/main.ts", {
    KAFKA_BROKERS,
    SCHEMA_REGISTRY_URL,
    DATABASE_URL: db.url,
    PORT: "18189",
    PROJECTION_GROUP_ID: testGroupId("gw-cross-projection"),
    PROJECTION_TOPICS: `${topics.names["fx.orders"]},${topics.names["fx.executions"]}`,
    DLQ_TOPIC: topics.names["fx.dlq"],
    KAFKA_SESSION_TIMEOUT_MS: "6000",
  });

  gw = await buildApp({
    keys: pgKeyLookup(pool, master),
    orderEntry: commandServiceClient({
      baseUrl: `http://127.0.0.1:${CS}`,
      catalog: REFERENCE_CATALOG,
    }),
    executions: pgExecutionSource(pool, REFERENCE_CATALOG),
    rateLimits: DEFAULT_RATE_LIMITS,
  });
  await gw.listen({ host: "127.0.0.1", port: GW });
  // Both consumers must have joined before the first order, or they start at the log end.
  await matcher.ready(90_000);
  for (const port of [18189]) {
    const deadline = Date.now() + 90_000;
    while (
      (await fetch(`http://127.0.0.1:${port}/readyz`).then(
        (r) => r.status,
        () => 0,
      )) !== 200
    ) {
      if (Date.now() > deadline)
        throw new Error(`service on ${port} never became ready (see ${LOG_DIR})`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}, 180_000);

afterAll(async () => {
  await gw?.close();
  await matcher?.stop();
  // SIGTERM, then SIGKILL after 10 s: a slow shutdown must not hang the suite.
  await Promise.all(
    [...children].map(
      (c) =>
        new Promise<void>((r) => {
          const kill = setTimeout(() => c.kill("SIGKILL"), 10_000);
          c.once("exit", () => {
            clearTimeout(kill);
            r();
          });
          c.kill("SIGTERM");
        }),
    ),
  );
  await relay?.stop();
  await stopProducer?.();
  await cs?.close();
  await pool?.end();
  await db?.drop();
  await topics?.delete();
}, 60_000);

type Key = { keyId: string; secret: Buffer };
const send = async (key: Key, method: "GET" | "POST", path: string, body = "") => {
  const headers = {
    ...signedHeaders(key.keyId, key.secret, method, path, body, Date.now()),
    ...(method === "POST" ? { "content-type": "application/json" } : {}),
  };
  const res = await fetch(`http://127.0.0.1:${GW}${path}`, {
    method,
    headers,
    ...(method === "POST" ? { body } : {}),
  });
  // biome-ignore lint/suspicious/noExplicitAny: FIX JSON answers and error bodies, asserted by shape
  return { status: res.status, body: (await res.json()) as Record<string, any> };
};

/** The account's reports from the read side, waiting until `n` have arrived. */
const reports = async (key: Key, account: string, n: number): Promise<Record<string, string>[]> => {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const r = await send(key, "GET", `/v1/executions?account=${account}&after=0&limit=100`);
    expect(r.status).toBe(200);
    const all = (r.body.executions as Array<{ report: Record<string, string> }>).map(
      (e) => e.report,
    );
    if (all.length >= n || Date.now() > deadline) return all;
    await new Promise((res) => setTimeout(res, 200));
  }
};

const fix = (o: Record<string, string>) =>
  JSON.stringify({ TransactTime: "20260101-10:00:00", Symbol: "EURUSD", ...o });

describe("two accounts cross on EUR/USD through every service", () => {
  const sellId = `s-${randomUUID().slice(0, 8)}`;
  const buyId = `b-${randomUUID().slice(0, 8)}`;

  it("both sides get New, then Filled / PartiallyFilled at the maker's price", async () => {
    const s = await send(
      seller,
      "POST",
      "/v1/fix",
      fix({
        MsgType: "D",
        ClOrdID: sellId,
        Side: "2",
        OrderQty: "2000000",
        OrdType: "2",
        Price: "1.10000",
        TimeInForce: "1",
      }),
    );
    expect(s.status).toBe(200);
    expect(s.body).toMatchObject({ ExecType: "0", OrdStatus: "0" });
    // Let the resting order reach the book before the aggressor.
    await reports(seller, "ACC-S", 1);
    const b = await send(
      buyer,
      "POST",
      "/v1/fix",
      fix({
        MsgType: "D",
        ClOrdID: buyId,
        Side: "1",
        OrderQty: "3000000",
        OrdType: "2",
        Price: "1.10010",
        TimeInForce: "1",
      }),
    );
    expect(b.status).toBe(200);

    const sr = await reports(seller, "ACC-S", 2);
    expect(sr.map((r) => [r.ExecType, r.OrdStatus])).toEqual([
      ["0", "0"],
      ["F", "2"],
    ]);
    expect(sr[1]).toMatchObject({
      LastQty: "2000000",
      LastPx: "1.10000",
      CumQty: "2000000",
      LeavesQty: "0",
      AvgPx: "1.10000",
      ClOrdID: sellId,
    });

    const br = await reports(buyer, "ACC-B", 2);
    expect(br.map((r) => [r.ExecType, r.OrdStatus])).toEqual([
      ["0", "0"],
      ["F", "1"],
    ]);
    expect(br[1]).toMatchObject({
      LastQty: "2000000",
      LastPx: "1.10000",
      CumQty: "2000000",
      LeavesQty: "1000000",
      AvgPx: "1.10000",
      ClOrdID: buyId,
    });
    // One trade, one ExecID per side (unique forever), sharing the trade's id.
    expect(br[1]!.ExecID).not.toBe(sr[1]!.ExecID);
    expect(br[1]!.ExecID!.slice(0, -2)).toBe(sr[1]!.ExecID!.slice(0, -2));
  });

  it("a second fill at another price: CumQty, LeavesQty and AvgPx across fills", async () => {
    // The seller's 1.10005 offer meets the buyer's resting 1.10010 bid: it trades at the maker's 1.10010.
    const s2 = await send(
      seller,
      "POST",
      "/v1/fix",
      fix({
        MsgType: "D",
        ClOrdID: `${sellId}-2`,
        Side: "2",
        OrderQty: "500000",
        OrdType: "2",
        Price: "1.10005",
        TimeInForce: "3",
      }),
    );
    expect(s2.status).toBe(200);
    const sr = await reports(seller, "ACC-S", 4);
    expect(sr[3]).toMatchObject({
      ClOrdID: `${sellId}-2`,
      ExecType: "F",
      OrdStatus: "2",
      LastPx: "1.10010",
      CumQty: "500000",
      LeavesQty: "0",
    });
    const br = await reports(buyer, "ACC-B", 3);
    // (2,000,000 × 1.10000 + 500,000 × 1.10010) / 2,500,000 = 1.10002
    expect(br[2]).toMatchObject({
      ExecType: "F",
      OrdStatus: "1",
      LastQty: "500000",
      LastPx: "1.10010",
      CumQty: "2500000",
      LeavesQty: "500000",
      AvgPx: "1.10002",
    });
  });

  it("replace, cancel, and a cancel that is too late", async () => {
    const rep = await send(
      buyer,
      "POST",
      "/v1/fix",
      fix({
        MsgType: "G",
        OrigClOrdID: buyId,
        ClOrdID: `${buyId}-r`,
        Side: "1",
        OrdType: "2",
        OrderQty: "3200000",
        Price: "1.09990",
      }),
    );
    expect(rep.status).toBe(200);
    expect(rep.body).toMatchObject({ ExecType: "E", OrdStatus: "E" });
    let br = await reports(buyer, "ACC-B", 4);
    expect(br[3]).toMatchObject({
      ExecType: "5",
      ClOrdID: `${buyId}-r`,
      OrigClOrdID: buyId,
      OrderQty: "3200000",
      CumQty: "2500000",
      LeavesQty: "700000",
      Price: "1.09990",
      AvgPx: "1.10002",
    });

    const cx = await send(
      buyer,
      "POST",
      "/v1/fix",
      fix({ MsgType: "F", OrigClOrdID: `${buyId}-r`, ClOrdID: `${buyId}-c`, Side: "1" }),
    );
    expect(cx.status).toBe(200);
    expect(cx.body).toMatchObject({ ExecType: "6", OrdStatus: "6" });
    br = await reports(buyer, "ACC-B", 5);
    expect(br[4]).toMatchObject({
      ExecType: "4",
      OrdStatus: "4",
      CumQty: "2500000",
      LeavesQty: "0",
      ClOrdID: `${buyId}-c`,
    });

    // The seller's order is filled: its cancel is answered by the matcher, too late.
    const late = await send(
      seller,
      "POST",
      "/v1/fix",
      fix({ MsgType: "F", OrigClOrdID: sellId, ClOrdID: `${sellId}-c`, Side: "2" }),
    );
    if (late.status === 200) {
      const sr = await reports(seller, "ACC-S", 5);
      // OrdStatus here should be the order's (2, filled); the read model currently
      // stores none for this reject (reported to projection-service), so it is not asserted.
      expect(sr[4]).toMatchObject({
        MsgType: "9",
        CxlRejReason: "0",
        CxlRejResponseTo: "1",
        ClOrdID: `${sellId}-c`,
        OrigClOrdID: sellId,
      });
    } else {
      // The command side may already know the order is done.
      expect(late.status).toBe(409);
      expect(late.body.error.fix).toMatchObject({ MsgType: "9", CxlRejReason: "0" });
    }
  });

  it("streams the same reports over SSE, resumable from Last-Event-ID", async () => {
    const path = "/v1/executions/stream";
    const url = `http://127.0.0.1:${GW}${path}`;
    const sign = () => signedHeaders(buyer.keyId, buyer.secret, "GET", path, "", Date.now());
    const all = await readSse(url, sign(), (e) => e.filter((x) => x.event).length >= 5);
    const evs = all.events.filter((e) => e.event === "executionReport");
    expect(evs.map((e) => JSON.parse(e.data!).ExecType)).toEqual(["0", "F", "F", "5", "4"]);
    expect(evs.map((e) => e.id)).toEqual(["ACC-B:1", "ACC-B:2", "ACC-B:3", "ACC-B:4", "ACC-B:5"]);
    const resumed = await readSse(
      url,
      { ...sign(), "last-event-id": "ACC-B:3" },
      (e) => e.filter((x) => x.event).length >= 2,
    );
    expect(resumed.events.filter((e) => e.event).map((e) => JSON.parse(e.data!).ExecType)).toEqual([
      "5",
      "4",
    ]);
  });
});
