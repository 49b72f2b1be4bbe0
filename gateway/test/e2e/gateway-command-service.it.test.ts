// The gateway over real HTTP, with its key store in a real Postgres, in front
// of a real command-service (event store in the same Postgres, real schema
// registry). Ports 18181 (gateway) and 18182 (command-service).

import { randomBytes, randomUUID } from "node:crypto";
import { createCommandService, type CommandService } from "@fxcore/command-service";
import { REFERENCE_CATALOG } from "@fxcore/domain";
import { createPgPool, type PgPool } from "@fxcore/infra";
import { createTestDatabase, infraSettings, type TestDatabase } from "@fxcore/infra/testing";
// Brings the ProvidedContext keys the infra global setup provides into scope for inject().
import type {} from "@fxcore/infra/testing/global-setup";
import { createSerde } from "@fxcore/schemas";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKey, migrateKeyStore, pgKeyLookup, revokeKey } from "../../src/auth/key-store.ts";
import { signedHeaders } from "../../src/auth/signing.ts";
import { buildApp, DEFAULT_RATE_LIMITS } from "../../src/http/app.ts";
import { commandServiceClient } from "../../src/upstream/command-client.ts";

const GW = 18181;
const CS = 18182;
const master = randomBytes(32);
let db: TestDatabase;
let pool: PgPool;
let cs: CommandService;
let gw: FastifyInstance;
let keys: Record<"t1" | "t2" | "dash", { keyId: string; secret: Buffer }>;

beforeAll(async () => {
  db = await createTestDatabase("gw");
  pool = createPgPool({ connectionString: db.url, applicationName: "gateway-it", max: 8 });
  await migrateKeyStore(pool);
  const mk = async (accounts: string[], roles: ("trader" | "dashboard")[]) => {
    const k = await createKey(pool, master, { accounts, roles });
    return { keyId: k.keyId, secret: Buffer.from(k.secret, "base64url") };
  };
  keys = {
    t1: await mk(["ACC-1"], ["trader"]),
    t2: await mk(["ACC-2"], ["trader"]),
    dash: await mk(["ACC-1"], ["dashboard"]),
  };
  cs = await createCommandService({
    pool,
    codec: createSerde({ registryUrl: infraSettings().SCHEMA_REGISTRY_URL }),
    topic: `fx.orders.gw-${randomUUID().slice(0, 8)}`,
  });
  await pool.query(
    `INSERT INTO cs_accounts (account, enabled, max_order_qty, max_notional, credit_limit)
     VALUES ('ACC-1', true, 10000000, 20000000, 1000000000), ('ACC-2', true, 10000000, 20000000, 1000000000)`,
  );
  await cs.risk.refresh();
  await cs.app.listen({ host: "127.0.0.1", port: CS });
  gw = await buildApp({
    keys: pgKeyLookup(pool, master, { cacheMs: 0 }),
    orderEntry: commandServiceClient({
      baseUrl: `http://127.0.0.1:${CS}`,
      catalog: REFERENCE_CATALOG,
      timeoutMs: 5_000,
    }),
    executions: null,
    rateLimits: DEFAULT_RATE_LIMITS,
  });
  await gw.listen({ host: "127.0.0.1", port: GW });
});

afterAll(async () => {
  await gw?.close();
  await cs?.close();
  await pool?.end();
  await db?.drop();
});

const send = async (
  key: { keyId: string; secret: Buffer },
  method: "GET" | "POST",
  path: string,
  body = "",
  type = "application/json",
) => {
  const headers = {
    ...signedHeaders(key.keyId, key.secret, method, path, body, Date.now()),
    ...(method === "POST" ? { "content-type": type } : {}),
  };
  const res = await fetch(`http://127.0.0.1:${GW}${path}`, {
    method,
    headers,
    ...(method === "POST" ? { body } : {}),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: () => JSON.parse(text) };
};

const nos = (clOrdId: string, over: Record<string, string> = {}) =>
  JSON.stringify({
    MsgType: "D",
    ClOrdID: clOrdId,
    Symbol: "EURUSD",
    Side: "1",
    TransactTime: "20260101-10:00:00",
    OrderQty: "1000000",
    OrdType: "2",
    Price: "1.10000",
    TimeInForce: "1",
    ...over,
  });

const eventsFor = async (clOrdId: string) =>
  (
    await pool.query<{ event_type: string }>(
      "SELECT event_type FROM es_events WHERE metadata->>'clOrdId' = $1 ORDER BY global_position",
      [clOrdId],
    )
  ).rows.map((r) => r.event_type);

describe("gateway → command-service → event store", () => {
  it("stores a signed NewOrderSingle and answers ExecutionReport New with its position", async () => {
    const id = `o-${randomUUID()}`;
    const res = await send(keys.t1, "POST", "/v1/fix", nos(id));
    expect(res.status).toBe(200);
    expect(res.json()).toMatchObject({
      MsgType: "8",
      ClOrdID: id,
      ExecType: "0",
      OrdStatus: "0",
      Account: "ACC-1",
      LeavesQty: "1000000",
      CumQty: "0",
      Price: "1.10000",
    });
    expect(res.headers.get("fx-position")).toMatch(/^\d+$/);
    expect(await eventsFor(id)).toEqual(["OrderAccepted"]);
  });

  it("a resent ClOrdID returns the original answer and stores nothing new", async () => {
    const id = `o-${randomUUID()}`;
    const a = await send(keys.t1, "POST", "/v1/fix", nos(id));
    const b = await send(keys.t1, "POST", "/v1/fix", nos(id));
    expect(b.status).toBe(200);
    expect(b.json().OrderID).toBe(a.json().OrderID);
    expect(b.json().ExecID).toBe(a.json().ExecID);
    expect(await eventsFor(id)).toEqual(["OrderAccepted"]);
  });

  it("business rejects come back as ExecType 8 with OrdRejReason, and are stored as events", async () => {
    const id = `o-${randomUUID()}`;
    const res = await send(keys.t1, "POST", "/v1/fix", nos(id, { Symbol: "XXXYYY" }));
    expect(res.status).toBe(422);
    expect(res.json().error).toMatchObject({
      code: "ORDER_REJECTED",
      fix: { MsgType: "8", ExecType: "8", OrdRejReason: "1" },
    });
    expect(await eventsFor(id)).toEqual(["OrderRejected"]);
  });

  it("risk and duplicate-ClOrdID rejects are ExecType 8 with their OrdRejReason", async () => {
    const big = `o-${randomUUID()}`;
    const risk = await send(keys.t1, "POST", "/v1/fix", nos(big, { OrderQty: "20000000" }));
    expect(risk.status).toBe(422);
    expect(risk.json().error.fix).toMatchObject({ ExecType: "8", OrdRejReason: "3" });
    const id = `o-${randomUUID()}`;
    expect((await send(keys.t1, "POST", "/v1/fix", nos(id))).status).toBe(200);
    // Same ClOrdID, different order: not a resend but a duplicate.
    const dup = await send(keys.t1, "POST", "/v1/fix", nos(id, { Price: "1.10010" }));
    expect(dup.status).toBe(422);
    expect(dup.json().error.fix).toMatchObject({ ExecType: "8", OrdRejReason: "6" });
  });

  it("a trader never acts on another account, and nothing is stored", async () => {
    const id = `o-${randomUUID()}`;
    const res = await send(keys.t1, "POST", "/v1/fix", nos(id, { Account: "ACC-2" }));
    expect(res.status).toBe(403);
    expect(res.json().error.fix).toMatchObject({ MsgType: "j", BusinessRejectReason: "6" });
    expect(await eventsFor(id)).toEqual([]);
    const dash = await send(keys.dash, "POST", "/v1/fix", nos(id));
    expect(dash.status).toBe(403);
    expect(await eventsFor(id)).toEqual([]);
  });

  it("recovers an answer by ClOrdID, scoped to the caller's accounts", async () => {
    const id = `o-${randomUUID()}`;
    await send(keys.t1, "POST", "/v1/fix", nos(id));
    const mine = await send(keys.t1, "GET", `/v1/orders/${id}`);
    expect(mine.status).toBe(200);
    expect(mine.json()).toMatchObject({ ClOrdID: id, ExecType: "I", OrdStatus: "0" });
    expect((await send(keys.dash, "GET", `/v1/orders/${id}`)).status).toBe(200);
    expect((await send(keys.t2, "GET", `/v1/orders/${id}`)).status).toBe(404);
    expect((await send(keys.t2, "GET", `/v1/orders/${id}?account=ACC-1`)).status).toBe(403);
  });

  it("takes a cancel as PendingCancel and refuses a cancel of an unknown order with 35=9", async () => {
    const id = `o-${randomUUID()}`;
    const placed = await send(keys.t1, "POST", "/v1/fix", nos(id));
    const cancel = (orig: string, cl: string) =>
      JSON.stringify({
        MsgType: "F",
        OrigClOrdID: orig,
        ClOrdID: cl,
        Symbol: "EURUSD",
        Side: "1",
        TransactTime: "20260101-10:00:01",
      });
    const cx = await send(keys.t1, "POST", "/v1/fix", cancel(id, `${id}-cx`));
    expect(cx.status).toBe(200);
    expect(cx.json()).toMatchObject({
      MsgType: "8",
      ExecType: "6",
      OrdStatus: "6",
      ClOrdID: `${id}-cx`,
      OrigClOrdID: id,
      OrderID: placed.json().OrderID,
      LeavesQty: "1000000",
    });
    const unknown = await send(keys.t1, "POST", "/v1/fix", cancel("ghost", `${id}-cx2`));
    expect(unknown.status).toBe(404);
    expect(unknown.json().error.fix).toMatchObject({
      MsgType: "9",
      CxlRejReason: "1",
      CxlRejResponseTo: "1",
    });
  });

  it("speaks tag=value end to end", async () => {
    const id = `o-${randomUUID()}`;
    const res = await send(
      keys.t1,
      "POST",
      "/v1/fix",
      `35=D|11=${id}|55=USDJPY|54=2|60=20260101-10:00:00|38=2000|40=2|44=150.125|`,
      "application/fix",
    );
    expect(res.status).toBe(200);
    expect(res.text).toMatch(new RegExp(`^35=8\\|37=[^|]+\\|11=${id}\\|`));
    expect(res.text).toContain("|44=150.125|");
  });

  it("keeps secrets sealed at rest and honours revocation", async () => {
    const row = (
      await pool.query<{ secret_ciphertext: Buffer }>(
        "SELECT secret_ciphertext FROM gateway.api_keys WHERE key_id = $1",
        [keys.t2.keyId],
      )
    ).rows[0]!;
    expect(row.secret_ciphertext.equals(keys.t2.secret)).toBe(false);
    expect(row.secret_ciphertext.includes(keys.t2.secret.subarray(0, 8))).toBe(false);
    expect(await revokeKey(pool, keys.t2.keyId)).toBe(true);
    const res = await send(keys.t2, "POST", "/v1/fix", nos(`o-${randomUUID()}`));
    expect(res.status).toBe(401);
    expect(res.json().error.code).toBe("UNKNOWN_KEY");
  });

  it("answers 503 APPLICATION_NOT_AVAILABLE when order entry is down (nothing applied)", async () => {
    await cs.app.close();
    const res = await send(keys.t1, "POST", "/v1/fix", nos(`o-${randomUUID()}`));
    expect(res.status).toBe(503);
    expect(res.json().error.fix).toMatchObject({ MsgType: "j", BusinessRejectReason: "4" });
    expect((await fetch(`http://127.0.0.1:${GW}/readyz`)).status).toBe(503);
  });
});
