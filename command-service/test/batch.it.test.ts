// POST /orders/batch (ADR 066) against real Postgres and the real registry:
// per-item answers identical to the single endpoints, one transaction for the
// batch, refusals that fail only their item, ClOrdID idempotency within and
// across batches, typed 4xx for malformed batches and items. Every case runs
// twice: through Fastify (inject), and over a real connection, where the raw
// front answers ordinary batches (ADR 136) and hands odd ones to Fastify.
import { randomUUID } from "node:crypto";
import http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ACCOUNTS_HEADER, MAX_BATCH_ITEMS } from "../src/index.ts";
import { type Harness, startHarness } from "./support/harness.ts";

let h: Harness;
const topic = `fx.orders.csb-${randomUUID().slice(0, 8)}`;

beforeAll(async () => {
  h = await startHarness(topic, "csb");
  await h.service.app.listen({ host: "127.0.0.1", port: 0 });
});
afterAll(async () => {
  await h?.dispose();
});

const caller = { keyId: "k1", accounts: ["ACC-1", "ACC-OFF"], roles: ["trader"] };
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
const item = (kind: string, body: object, over: Record<string, unknown> = {}) => ({
  caller,
  command: { kind, ...body },
  ...over,
});

/** How batches are sent in the current pass. */
let via: "fastify" | "raw front" = "fastify";
/** Who answered the last batch sent over a connection. */
let answeredBy: "raw front" | "fastify" | null = null;
interface BatchResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string | string[] | number | undefined>;
  json(): // biome-ignore lint/suspicious/noExplicitAny: JSON, asserted field by field
  any;
}
/** One batch on a fresh keep-alive connection to the listening service. */
const overConnection = async (payload: string, contentType: string): Promise<BatchResponse> => {
  const front = h.service.app.rawFront.stats;
  const before = { answered: front.answered, handedOff: front.handedOff };
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const { port } = h.service.app.server.address() as { port: number };
    const res = await new Promise<{
      status: number;
      headers: http.IncomingHttpHeaders;
      body: string;
    }>((resolve, reject) => {
      const req = http.request(
        {
          host: "127.0.0.1",
          port,
          method: "POST",
          path: "/orders/batch",
          agent,
          headers: { "content-type": contentType },
        },
        (r) => {
          let body = "";
          r.setEncoding("utf8");
          r.on("data", (c: string) => {
            body += c;
          });
          r.on("end", () => resolve({ status: r.statusCode ?? 0, headers: r.headers, body }));
          r.on("error", reject);
        },
      );
      req.on("error", reject);
      req.end(payload);
    });
    answeredBy =
      front.answered === before.answered + 1 && front.handedOff === before.handedOff
        ? "raw front"
        : front.handedOff === before.handedOff + 1
          ? "fastify"
          : null;
    return { statusCode: res.status, headers: res.headers, json: () => JSON.parse(res.body) };
  } finally {
    agent.destroy();
  }
};
const batch = (body: unknown, contentType = "application/json"): Promise<BatchResponse> => {
  const payload = typeof body === "string" ? body : JSON.stringify(body);
  if (via === "raw front") return overConnection(payload, contentType);
  return h.service.app.inject({
    method: "POST",
    url: "/orders/batch",
    headers: { "content-type": contentType },
    payload,
  });
};
const answersOf = async (items: unknown[]) => {
  const res = await batch({ items });
  expect(res.statusCode).toBe(200);
  // biome-ignore lint/suspicious/noExplicitAny: answers are JSON, asserted field by field below
  const answers = res.json().answers as { status: number; body: Record<string, any> }[];
  expect(answers).toHaveLength(items.length);
  return answers;
};
const single = (url: string, body: object) =>
  h.service.app.inject({
    method: "POST",
    url,
    headers: { [ACCOUNTS_HEADER]: "ACC-1,ACC-OFF", "content-type": "application/json" },
    payload: JSON.stringify(body),
  });

const counts = async () => {
  const { rows } = await h.pool.query<{ events: string; outbox: string; claims: string }>(
    `SELECT (SELECT count(*) FROM es_events) AS events, (SELECT count(*) FROM es_outbox) AS outbox,
            (SELECT count(*) FROM cs_client_order_ids) AS claims`,
  );
  const r = rows[0];
  return { events: Number(r?.events), outbox: Number(r?.outbox), claims: Number(r?.claims) };
};
const storedFor = async (clOrdId: string) =>
  (
    await h.pool.query<{ event_type: string; transaction_id: string; global_position: string }>(
      `SELECT event_type, transaction_id::text, global_position FROM es_events
       WHERE metadata->>'clOrdId' = $1 ORDER BY global_position`,
      [clOrdId],
    )
  ).rows;

/** command_service_commands_total by "kind/outcome". */
const commandCounts = async () => {
  const metric = await h.service.metrics.getSingleMetric("command_service_commands_total")?.get();
  return new Map(
    (metric?.values ?? []).map((v) => [`${v.labels.kind}/${v.labels.outcome}`, v.value]),
  );
};

describe.each(["fastify", "raw front"] as const)("POST /orders/batch through %s", (pass) => {
  beforeAll(() => {
    via = pass;
  });
  afterAll(() => {
    via = "fastify";
  });

  it("answers each item on its own, in order; every written item is in one transaction", async () => {
    const ok1 = place();
    const ok2 = place({ symbol: "GBPUSD", price: "1.25000", side: "SELL" });
    const unknown = place({ symbol: "EURXXX" });
    const risky = place({ orderQty: "20000000" });
    const before = await counts();
    const counted = await commandCounts();
    const answers = await answersOf([
      item("place", ok1),
      item("place", { ...place(), side: "SIDEWAYS" }),
      item("place", ok2),
      item("place", place({ account: "ACC-2" })),
      item("place", unknown),
      item("place", risky),
      { command: { kind: "place", ...place() } },
      item("place", place(), { caller: { accounts: [] } }),
      "not an item",
    ]);
    expect(answers.map((a) => a.status)).toEqual([200, 400, 200, 403, 200, 200, 400, 401, 400]);
    expect(answers[0]?.body).toMatchObject({
      resent: false,
      report: { msgType: "8", ordStatus: "0", clOrdId: ok1.clOrdId, price: 110000 },
    });
    expect(answers[2]?.body.report).toMatchObject({ ordStatus: "0", side: "SELL", price: 125000 });
    expect(answers[1]?.body).toMatchObject({
      error: { code: "INVALID_REQUEST", details: expect.any(Array) },
    });
    expect(answers[1]?.body.error.message).toMatch(/body\/side/);
    expect(answers[3]?.body).toMatchObject({ error: { code: "ACCOUNT_NOT_AUTHORISED" } });
    expect(answers[4]?.body.report).toMatchObject({ ordStatus: "8", ordRejReason: 1 });
    expect(answers[5]?.body.report).toMatchObject({ ordStatus: "8", ordRejReason: 3 });
    expect(answers[6]?.body.error.message).toMatch(/caller/);
    expect(answers[7]?.body).toMatchObject({ error: { code: "UNAUTHENTICATED" } });
    // Counted per item (in runs of one kind and outcome): 2 accepted, 2 rejected, 2 refused.
    const now = await commandCounts();
    const delta = (key: string) => (now.get(key) ?? 0) - (counted.get(key) ?? 0);
    expect(["accepted", "rejected", "refused"].map((o) => delta(`place/${o}`))).toEqual([2, 2, 2]);
    // Four decided items (two accepted, two rejected by the domain) stored, in ONE transaction.
    expect(await counts()).toEqual({
      events: before.events + 4,
      outbox: before.outbox + 4,
      claims: before.claims + 4,
    });
    const rows = (
      await Promise.all([ok1, ok2, unknown, risky].map((b) => storedFor(b.clOrdId)))
    ).flat();
    expect(rows.map((r) => r.event_type)).toEqual([
      "OrderAccepted",
      "OrderAccepted",
      "OrderRejected",
      "OrderRejected",
    ]);
    expect(new Set(rows.map((r) => r.transaction_id)).size).toBe(1);
    expect(rows.map((r) => r.global_position)).toEqual(
      // A JSON number on the wire (ADR 133), the decimal text in Postgres.
      [0, 2, 4, 5].map((i) => String(answers[i]?.body.position)),
    );
  });

  it("a batch answer is the single endpoint's answer: resends across batch and single both ways", async () => {
    const viaSingle = place();
    const first = (await single("/orders", viaSingle)).json();
    const viaBatch = place({ side: "SELL" });
    const [batched] = await answersOf([item("place", viaBatch)]);
    const before = await counts();
    const [resentInBatch, duplicateInBatch] = await answersOf([
      item("place", viaSingle),
      item("place", { ...viaBatch, price: "1.10010" }),
    ]);
    expect(resentInBatch).toEqual({ status: 200, body: { ...first, resent: true } });
    const resentSingle = (await single("/orders", viaBatch)).json();
    expect(resentSingle).toEqual({ ...batched?.body, resent: true });
    const duplicateSingle = (await single("/orders", { ...viaBatch, price: "1.10010" })).json();
    expect(duplicateInBatch?.body).toMatchObject({
      position: null,
      orderId: null,
      report: { ordStatus: "8", ordRejReason: 6 },
    });
    // The same refusal as the single endpoint's, but for its fresh OrderID and decision time.
    const blank = { orderId: null, transactTime: null };
    expect({
      ...duplicateInBatch?.body,
      report: { ...duplicateInBatch?.body.report, ...blank },
    }).toEqual({
      ...duplicateSingle,
      report: { ...duplicateSingle.report, ...blank },
    });
    expect(await counts()).toEqual(before);
  });

  it("the same ClOrdID twice in one batch: one order; a resend gets its answer, another body the duplicate reject", async () => {
    const body = place();
    const answers = await answersOf([
      item("place", body),
      item("place", { ...body }),
      item("place", { ...body, orderQty: "2000000" }),
    ]);
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    const [a, b, c] = answers.map((x) => x.body);
    expect(a).toMatchObject({ resent: false, report: { ordStatus: "0" } });
    expect(b).toEqual({ ...a, resent: true });
    expect(c).toMatchObject({ position: null, report: { ordStatus: "8", ordRejReason: 6 } });
    expect(await storedFor(body.clOrdId)).toHaveLength(1);
  });

  it("cancel and replace items become request events; an unknown order's cancel is its reject", async () => {
    const order = place();
    const placed = (await single("/orders", order)).json();
    const cancel = {
      clOrdId: `x-${randomUUID()}`,
      origClOrdId: order.clOrdId,
      account: "ACC-1",
      symbol: "EURUSD",
      side: "BUY",
    };
    const replace = {
      ...cancel,
      clOrdId: `r-${randomUUID()}`,
      ordType: "LIMIT",
      price: "1.10005",
      orderQty: "2000000",
    };
    const unknown = { ...cancel, clOrdId: `u-${randomUUID()}`, origClOrdId: "nope" };
    const answers = await answersOf([
      item("replace", replace),
      item("cancel", unknown),
      item("cancel", { ...cancel, extra: 1 }),
    ]);
    expect(answers.map((a) => a.status)).toEqual([200, 200, 400]);
    expect(answers[0]?.body).toMatchObject({ pending: "REPLACE", orderId: placed.orderId });
    expect(answers[1]?.body.report).toMatchObject({ msgType: "9", cxlRejReason: 1 });
    expect((await storedFor(replace.clOrdId)).map((r) => r.event_type)).toEqual([
      "OrderReplaceRequested",
    ]);
    expect((await storedFor(unknown.clOrdId)).map((r) => r.event_type)).toEqual(["CancelRejected"]);
  });

  it("two cancels of one order in one batch race for its next revision: both taken, one after the other", async () => {
    const order = place();
    const placed = (await single("/orders", order)).json();
    const cancel = (n: number) => ({
      clOrdId: `x${n}-${randomUUID()}`,
      origClOrdId: order.clOrdId,
      account: "ACC-1",
      symbol: "EURUSD",
      side: "BUY",
    });
    const answers = await answersOf([item("cancel", cancel(1)), item("cancel", cancel(2))]);
    for (const a of answers)
      expect(a).toMatchObject({
        status: 200,
        body: { pending: "CANCEL", orderId: placed.orderId, resent: false },
      });
    const { rows } = await h.pool.query<{ event_type: string; stream_version: string }>(
      "SELECT event_type, stream_version FROM es_events WHERE stream_id = $1 ORDER BY stream_version",
      [`order-${placed.orderId}`],
    );
    expect(rows).toEqual([
      { event_type: "OrderAccepted", stream_version: "0" },
      { event_type: "OrderCancelRequested", stream_version: "1" },
      { event_type: "OrderCancelRequested", stream_version: "2" },
    ]);
    expect(answers.map((a) => String(a.body.position)).sort()).toEqual(
      (
        await Promise.all(
          answers.map((a) =>
            h.pool.query("SELECT global_position FROM es_events WHERE event_id = $1", [
              a.body.eventId,
            ]),
          ),
        )
      )
        .map((r) => r.rows[0]?.global_position)
        .sort(),
    );
  });

  it("each item's event continues its own trace and carries its correlation id", async () => {
    const a = place();
    const b = place();
    const trace = (n: string) => `00-${n.repeat(32)}-00f067aa0ba902b7-01`;
    await answersOf([
      item("place", a, { traceparent: trace("a"), correlationId: "corr-a" }),
      item("place", b, { traceparent: trace("b") }),
    ]);
    const metadataOf = async (clOrdId: string) =>
      (
        await h.pool.query<{ metadata: Record<string, string> }>(
          "SELECT metadata FROM es_events WHERE metadata->>'clOrdId' = $1",
          [clOrdId],
        )
      ).rows[0]?.metadata ?? {};
    const rows = [
      { metadata: await metadataOf(a.clOrdId) },
      { metadata: await metadataOf(b.clOrdId) },
    ];
    expect(rows[0]?.metadata).toMatchObject({ correlationId: "corr-a", clOrdId: a.clOrdId });
    expect(rows[0]?.metadata.traceparent).toMatch(/^00-a{32}-[0-9a-f]{16}-01$/);
    expect(rows[1]?.metadata.traceparent).toMatch(/^00-b{32}-[0-9a-f]{16}-01$/);
    expect(rows[1]?.metadata.correlationId).toEqual(expect.any(String));
  });

  it("a malformed batch is one typed 400/413/415 and stores nothing", async () => {
    const before = await counts();
    const broken = await batch('{"items": [');
    expect(broken.statusCode).toBe(400);
    expect(broken.json()).toMatchObject({ error: { code: "MALFORMED_JSON" } });
    for (const body of [{}, { items: [] }, { items: {} }, { items: [], extra: 1 }, []]) {
      const res = await batch(body);
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ error: { code: "INVALID_REQUEST" } });
    }
    const tooMany = await batch({
      items: Array.from({ length: MAX_BATCH_ITEMS + 1 }, () => item("place", place())),
    });
    expect(tooMany.statusCode).toBe(400);
    const huge = await batch({ items: [item("place", place({ clOrdId: "x".repeat(1_100_000) }))] });
    expect(huge.statusCode).toBe(413);
    expect(huge.json()).toMatchObject({ error: { code: "PAYLOAD_TOO_LARGE" } });
    const text = await batch("items", "application/xml");
    expect(text.statusCode).toBe(415);
    // A prototype key is refused as Fastify's JSON parser refuses it.
    const poisoned = await batch(
      `{"items":[${JSON.stringify(item("place", place())).replace("{", '{"__proto__":{"x":1},')}]}`,
    );
    expect(poisoned.statusCode).toBe(400);
    expect(poisoned.json()).toMatchObject({ error: { code: "MALFORMED_JSON" } });
    expect(await counts()).toEqual(before);
  });

  it("a full batch of the largest size goes in one transaction", async () => {
    const bodies = Array.from({ length: MAX_BATCH_ITEMS }, (_, i) =>
      place({ side: i % 2 === 0 ? "BUY" : "SELL" }),
    );
    const answers = await answersOf(bodies.map((b) => item("place", b)));
    expect(answers.every((a) => a.status === 200 && a.body.report.ordStatus === "0")).toBe(true);
    const { rows } = await h.pool.query<{ tx: string }>(
      "SELECT count(DISTINCT transaction_id) AS tx FROM es_events WHERE metadata->>'clOrdId' = ANY($1)",
      [bodies.map((b) => b.clOrdId)],
    );
    expect(rows[0]?.tx).toBe("1");
  });

  it("Postgres unavailable: the whole call is 503 with Retry-After, nothing written; the resent batch succeeds once", async () => {
    const bodies = [place(), place()];
    const items = bodies.map((b) => item("place", b));
    const before = await counts();
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
      const res = await batch({ items });
      expect(res.statusCode).toBe(503);
      expect(res.headers["retry-after"]).toBe("1");
      expect(res.json()).toMatchObject({ error: { code: "STORE_UNAVAILABLE" } });
    } finally {
      await admin.query(`ALTER DATABASE "${h.db.name}" ALLOW_CONNECTIONS true`);
      await admin.end();
    }
    expect(await counts()).toEqual(before);
    const retry = await answersOf(items);
    expect(retry.map((a) => [a.status, a.body.resent])).toEqual([
      [200, false],
      [200, false],
    ]);
    const again = await answersOf(items);
    expect(again.map((a) => a.body.resent)).toEqual([true, true]);
    for (const b of bodies) expect(await storedFor(b.clOrdId)).toHaveLength(1);
  });
});

describe("POST /orders/batch over a connection", () => {
  beforeAll(() => {
    via = "raw front";
  });
  afterAll(() => {
    via = "fastify";
  });

  it("over a connection, the raw front answers ordinary batches and hands odd heads to Fastify", async () => {
    const ok = await batch({ items: [item("place", place())] });
    expect([ok.statusCode, answeredBy]).toEqual([200, "raw front"]);
    expect(ok.headers["content-type"]).toBe("application/json; charset=utf-8");
    for (const body of ['{"items": [', { items: [] }, { items: [], extra: 1 }]) {
      const res = await batch(body);
      expect([res.statusCode, answeredBy]).toEqual([400, "raw front"]);
    }
    const xml = await batch("items", "application/xml");
    expect([xml.statusCode, answeredBy]).toEqual([415, "fastify"]);
    const huge = await batch({
      items: [item("place", place({ clOrdId: "x".repeat(1_100_000) }))],
    });
    expect([huge.statusCode, answeredBy]).toEqual([413, "fastify"]);
  });
});
