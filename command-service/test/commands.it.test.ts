import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ACCOUNTS_HEADER } from "../src/index.ts";
import { type Harness, startHarness } from "./support/harness.ts";

let h: Harness;
const topic = `fx.orders.cs-${randomUUID().slice(0, 8)}`;

beforeAll(async () => {
  h = await startHarness(topic);
});
afterAll(async () => {
  await h?.dispose();
});

const headers = { [ACCOUNTS_HEADER]: "ACC-1,ACC-OFF", "content-type": "application/json" };
const post = (url: string, body: unknown, extra: Record<string, string> = {}) =>
  h.service.app.inject({
    method: "POST",
    url,
    headers: { ...headers, ...extra },
    payload: typeof body === "string" ? body : JSON.stringify(body),
  });

const place = (over: Record<string, unknown> = {}) => ({
  clOrdId: `c-${randomUUID()}`,
  account: "ACC-1",
  symbol: "EURUSD",
  side: "BUY",
  ordType: "LIMIT",
  price: "1.10000",
  orderQty: "1000000",
  timeInForce: "GTC",
  ...over,
});

const counts = async () => {
  const { rows } = await h.pool.query<{ events: string; outbox: string; claims: string }>(
    `SELECT (SELECT count(*) FROM es_events) AS events, (SELECT count(*) FROM es_outbox) AS outbox,
            (SELECT count(*) FROM cs_client_order_ids) AS claims`,
  );
  const r = rows[0];
  return { events: Number(r?.events), outbox: Number(r?.outbox), claims: Number(r?.claims) };
};

/** The stored events of a client order, decoded by the real serde. */
const storedFor = async (clOrdId: string) => {
  const { rows } = await h.pool.query<{
    payload: Buffer;
    event_type: string;
    global_position: string;
    stream_id: string;
  }>(
    "SELECT payload, event_type, global_position, stream_id FROM es_events WHERE metadata->>'clOrdId' = $1 ORDER BY global_position",
    [clOrdId],
  );
  return Promise.all(
    rows.map(async (r) => {
      const d = await h.serde.decode(r.payload);
      if (!d.ok) throw new Error(d.error.message);
      return {
        type: r.event_type,
        position: r.global_position,
        stream: r.stream_id,
        payload: d.value.payload as unknown as Record<string, unknown>,
      };
    }),
  );
};

describe("place", () => {
  it("accepts a valid order: ExecutionReport New, event + outbox row stored, read-your-writes position", async () => {
    const body = place();
    const res = await post("/orders", body);
    expect(res.statusCode).toBe(200);
    const answer = res.json();
    expect(answer.report).toMatchObject({
      msgType: "8",
      execType: "0",
      ordStatus: "0",
      clOrdId: body.clOrdId,
      price: 110000,
      orderQty: 1000000,
    });
    expect(answer.orderId).toEqual(expect.any(String));
    const stored = await storedFor(body.clOrdId);
    expect(stored).toHaveLength(1);
    expect(stored[0]?.type).toBe("OrderAccepted");
    // A JSON number (ADR 133): a short string value would be interned by the reader's JSON.parse.
    expect(typeof answer.position).toBe("number");
    expect(stored[0]?.position).toBe(String(answer.position));
    expect(stored[0]?.stream).toBe(`order-${answer.orderId}`);
    const ids = await h.pool.query("SELECT 1 FROM es_events WHERE event_id = $1", [answer.eventId]);
    expect(ids.rows).toHaveLength(1);
    expect(stored[0]?.payload).toMatchObject({
      type: "OrderAccepted",
      price: 110000,
      qty: 1000000,
      symbol: "EURUSD",
    });
    const outbox = await h.pool.query(
      "SELECT topic, message_key FROM es_outbox WHERE global_position = $1",
      [answer.position],
    );
    expect(outbox.rows).toEqual([{ topic, message_key: "EURUSD" }]);
  });

  it("the event carries the caller's trace context and correlation id into the store and the outbox metadata", async () => {
    const body = place();
    const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    const res = await post("/orders", body, { traceparent, "x-correlation-id": "corr-42" });
    expect(res.statusCode).toBe(200);
    const { rows } = await h.pool.query<{ metadata: Record<string, string> }>(
      "SELECT metadata FROM es_events WHERE metadata->>'clOrdId' = $1",
      [body.clOrdId],
    );
    expect(rows[0]?.metadata).toMatchObject({
      correlationId: "corr-42",
      clOrdId: body.clOrdId,
      account: "ACC-1",
    });
    expect(rows[0]?.metadata.traceparent).toMatch(
      /^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01$/,
    );
    expect(BigInt(rows[0]?.metadata.receivedAtNs ?? "0")).toBeGreaterThan(
      1_700_000_000_000_000_000n,
    );
  });

  it("a resent identical request gets the original answer and stores nothing new", async () => {
    const body = place();
    const first = (await post("/orders", body)).json();
    const before = await counts();
    const again = await post("/orders", { ...body });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ ...first, resent: true });
    expect(await counts()).toEqual(before);
  });

  it("the same ClOrdID with a different body is a duplicate reject (103=6), answered and not stored", async () => {
    const body = place();
    await post("/orders", body);
    const before = await counts();
    const res = await post("/orders", { ...body, price: "1.10010" });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      position: null,
      report: { execType: "8", ordStatus: "8", ordRejReason: 6 },
    });
    expect(await counts()).toEqual(before);
  });

  it("concurrent identical requests: one order, every caller gets its answer", async () => {
    const body = place();
    const answers = await Promise.all(Array.from({ length: 8 }, () => post("/orders", body)));
    const json = answers.map((a) => a.json());
    expect(new Set(json.map((j) => j.orderId)).size).toBe(1);
    expect(json.filter((j) => !j.resent)).toHaveLength(1);
    expect(await storedFor(body.clOrdId)).toHaveLength(1);
  });

  it("unknown symbol: Rejected 103=1, the rejection event is stored and published", async () => {
    const body = place({ symbol: "EURXXX" });
    const answer = (await post("/orders", body)).json();
    expect(answer.report).toMatchObject({ execType: "8", ordStatus: "8", ordRejReason: 1 });
    const stored = await storedFor(body.clOrdId);
    expect(stored.map((s) => s.type)).toEqual(["OrderRejected"]);
    expect(stored[0]?.payload).toMatchObject({ reason: 1, symbol: "EURXXX" });
    expect(String(answer.position)).toBe(stored[0]?.position);
  });

  it("off-tick price: Rejected with the domain's reason, rejection stored", async () => {
    const body = place({ symbol: "EURGBP", price: "0.85003" });
    const answer = (await post("/orders", body)).json();
    expect(answer.report).toMatchObject({ execType: "8", ordStatus: "8", ordRejReason: 99 });
    expect(answer.report.text).toMatch(/tick/i);
    expect((await storedFor(body.clOrdId)).map((s) => s.type)).toEqual(["OrderRejected"]);
  });

  it("pre-trade risk: quantity over the account's limit and a disabled account are rejected", async () => {
    const big = (await post("/orders", place({ orderQty: "20000000" }))).json();
    expect(big.report).toMatchObject({ ordStatus: "8", ordRejReason: 3 });
    const off = (await post("/orders", place({ account: "ACC-OFF" }))).json();
    expect(off.report).toMatchObject({ ordStatus: "8" });
    expect(off.report.text).toMatch(/disabled/);
  });

  it("malformed, invalid and oversize bodies: 400/413 with a machine-readable error, nothing stored", async () => {
    const before = await counts();
    const broken = await post("/orders", '{"clOrdId": "x", ');
    expect(broken.statusCode).toBe(400);
    expect(broken.json()).toMatchObject({ error: { code: "MALFORMED_JSON" } });
    const invalid = await post("/orders", { ...place(), side: "SIDEWAYS", extra: 1 });
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json()).toMatchObject({
      error: { code: "INVALID_REQUEST", details: expect.any(Array) },
    });
    const missing = await post("/orders", { account: "ACC-1" });
    expect(missing.statusCode).toBe(400);
    const numeric = await post("/orders", { ...place(), price: 1.1 });
    expect(numeric.json()).toMatchObject({ error: { code: "INVALID_REQUEST" } });
    const huge = await post("/orders", { ...place(), clOrdId: "x".repeat(20_000) });
    expect(huge.statusCode).toBe(413);
    expect(huge.json()).toMatchObject({ error: { code: "PAYLOAD_TOO_LARGE" } });
    expect(await counts()).toEqual(before);
  });

  it("refuses an account the caller may not act for (403) and a call without identity (401)", async () => {
    const before = await counts();
    const other = await post("/orders", place({ account: "ACC-2" }));
    expect(other.statusCode).toBe(403);
    expect(other.json()).toMatchObject({ error: { code: "ACCOUNT_NOT_AUTHORISED" } });
    const anonymous = await h.service.app.inject({
      method: "POST",
      url: "/orders",
      headers: { "content-type": "application/json" },
      payload: JSON.stringify(place()),
    });
    expect(anonymous.statusCode).toBe(401);
    expect(await counts()).toEqual(before);
  });
});

describe("cancel, replace, status", () => {
  it("a cancel of a known order becomes a request event on the order's stream", async () => {
    const order = place();
    const placed = (await post("/orders", order)).json();
    const cancel = {
      clOrdId: `x-${randomUUID()}`,
      origClOrdId: order.clOrdId,
      account: "ACC-1",
      symbol: "EURUSD",
      side: "BUY",
    };
    const res = await post("/orders/cancel", cancel);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ pending: "CANCEL", report: null, orderId: placed.orderId });
    const stored = await storedFor(cancel.clOrdId);
    expect(stored.map((s) => [s.type, s.stream])).toEqual([
      ["OrderCancelRequested", `order-${placed.orderId}`],
    ]);
  });

  it("a cancel of an unknown order is an OrderCancelReject 102=1, stored", async () => {
    const cancel = {
      clOrdId: `x-${randomUUID()}`,
      origClOrdId: "nope",
      account: "ACC-1",
      symbol: "EURUSD",
      side: "BUY",
    };
    const answer = (await post("/orders/cancel", cancel)).json();
    expect(answer.report).toMatchObject({ msgType: "9", cxlRejReason: 1, cxlRejResponseTo: "1" });
    expect((await storedFor(cancel.clOrdId)).map((s) => s.type)).toEqual(["CancelRejected"]);
    // Its status is the stored reject (there is no order to fold).
    const status = await h.service.app.inject({
      method: "GET",
      url: `/orders/ACC-1/${cancel.clOrdId}`,
      headers,
    });
    expect(status.statusCode).toBe(200);
    expect(status.json()).toMatchObject({
      report: { msgType: "9", cxlRejReason: 1 },
      position: answer.position,
    });
  });

  it("a replace becomes a request event; a cancel reusing an order's ClOrdID is a duplicate (102=6)", async () => {
    const order = place();
    const placed = (await post("/orders", order)).json();
    const replace = {
      clOrdId: `r-${randomUUID()}`,
      origClOrdId: order.clOrdId,
      account: "ACC-1",
      symbol: "EURUSD",
      side: "BUY",
      ordType: "LIMIT",
      price: "1.10005",
      orderQty: "2000000",
    };
    const res = (await post("/orders/replace", replace)).json();
    expect(res).toMatchObject({ pending: "REPLACE", orderId: placed.orderId });
    const [ev] = await storedFor(replace.clOrdId);
    expect(ev?.payload).toMatchObject({
      type: "OrderReplaceRequested",
      price: 110005,
      qty: 2000000,
    });
    const dup = (
      await post("/orders/cancel", {
        clOrdId: order.clOrdId,
        origClOrdId: order.clOrdId,
        account: "ACC-1",
        symbol: "EURUSD",
        side: "BUY",
      })
    ).json();
    expect(dup).toMatchObject({ position: null, report: { msgType: "9", cxlRejReason: 6 } });
  });

  it("status folds the order's stream", async () => {
    const order = place();
    await post("/orders", order);
    const res = await h.service.app.inject({
      method: "GET",
      url: `/orders/ACC-1/${order.clOrdId}`,
      headers,
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      report: { execType: "I", ordStatus: "0", clOrdId: order.clOrdId },
    });
    const missing = await h.service.app.inject({
      method: "GET",
      url: "/orders/ACC-1/none",
      headers,
    });
    expect(missing.statusCode).toBe(404);
    const forbidden = await h.service.app.inject({
      method: "GET",
      url: `/orders/ACC-2/${order.clOrdId}`,
      headers,
    });
    expect(forbidden.statusCode).toBe(403);
  });
});

describe("Postgres unavailable", () => {
  it("answers 503 with Retry-After, writes nothing, and the retry succeeds exactly once", async () => {
    const body = place();
    const before = await counts();
    // Take the database away: no new connections, existing ones killed.
    const { default: pg } = await import("pg");
    const url = new URL(h.db.url);
    url.pathname = "/postgres";
    const admin = new pg.Client({ connectionString: url.toString() });
    await admin.connect();
    try {
      await admin.query(`ALTER DATABASE "${h.db.name}" ALLOW_CONNECTIONS false`);
      await admin.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1",
        [h.db.name],
      );
      await new Promise((r) => setTimeout(r, 100));
      const res = await post("/orders", body);
      expect(res.statusCode).toBe(503);
      expect(res.headers["retry-after"]).toBe("1");
      expect(res.json()).toMatchObject({ error: { code: "STORE_UNAVAILABLE" } });
      const ready = await h.service.app.inject({ method: "GET", url: "/readyz" });
      expect(ready.statusCode).toBe(503);
    } finally {
      await admin.query(`ALTER DATABASE "${h.db.name}" ALLOW_CONNECTIONS true`);
      await admin.end();
    }
    expect(await counts()).toEqual(before);
    const retry = await post("/orders", body);
    expect(retry.statusCode).toBe(200);
    expect(retry.json()).toMatchObject({ resent: false, report: { ordStatus: "0" } });
    expect(await storedFor(body.clOrdId)).toHaveLength(1);
  });

  it("health and metrics endpoints answer", async () => {
    expect((await h.service.app.inject({ method: "GET", url: "/healthz" })).statusCode).toBe(200);
    expect((await h.service.app.inject({ method: "GET", url: "/readyz" })).statusCode).toBe(200);
    const metrics = await h.service.app.inject({ method: "GET", url: "/metrics" });
    expect(metrics.body).toMatch(/command_service_commands_total\{[^}]*kind="place"/);
  });
});
