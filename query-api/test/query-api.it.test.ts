import { eventId as esEventId, PostgresEventStore, streamId } from "@fxcore/event-store";
import type { PgPool } from "@fxcore/infra";
import { type EventEnvelope, pairLookup, projectBatch } from "@fxcore/projection-service";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type QueryApiUnderTest, startQueryApi } from "./harness.ts";
import { accept, cancel, engineSession } from "./session.ts";

let api: QueryApiUnderTest;
let pool: PgPool;
let app: FastifyInstance;
const run = engineSession();
const project = (events: EventEnvelope[]) =>
  projectBatch(
    pool,
    { schema: "rm_v1", pairs: pairLookup(), audit: true },
    { source: null, events: events.map((envelope) => ({ envelope, raw: null })) },
  );

const as = (accounts: string, roles = "dashboard") => ({
  "x-fxcore-key-id": "k1",
  "x-fxcore-roles": roles,
  "x-fxcore-accounts": accounts,
});
const get = (url: string, headers: Record<string, string> = as("A1,A2")) =>
  app.inject({ method: "GET", url, headers });

beforeAll(async () => {
  api = await startQueryApi("queryapi", () => ({
    readYourWritesTimeoutMs: 1_500,
    heartbeatMs: 200,
  }));
  ({ pool, app } = api);
  await app.listen({ port: 18190, host: "127.0.0.1" });
  // A1 and A2 rest bids, A3 sells through them, A2 cancels the rest; some USDJPY too.
  await project(
    run([
      accept("o1", "A1", "BUY", 110000, 1_000_000, 0),
      accept("o2", "A2", "BUY", 109990, 2_000_000, 10),
      accept("o3", "A3", "SELL", 109990, 1_500_000, 1_200),
      cancel("o2", "A2", "BUY", 2_500),
      accept("j1", "A1", "BUY", 150000, 1_000, 3_000, "USDJPY"),
      accept("j2", "A3", "SELL", 150100, 2_000, 3_100, "USDJPY"),
    ]),
  );
}, 60_000);
afterAll(async () => {
  await api?.close();
});

describe("authorisation", () => {
  it("rejects a request without gateway identity with 401 and a machine-readable body", async () => {
    const r = await app.inject({ method: "GET", url: "/v1/orders" });
    expect(r.statusCode).toBe(401);
    expect(r.json()).toMatchObject({ error: "UNAUTHENTICATED" });
  });
  it("lists only the caller's accounts; a regulator with * sees all", async () => {
    const mine = (await get("/v1/orders", as("A1"))).json() as { items: { account: string }[] };
    expect(new Set(mine.items.map((o) => o.account))).toEqual(new Set(["A1"]));
    const all = (await get("/v1/orders", as("*", "regulator"))).json() as {
      items: { account: string }[];
    };
    expect(new Set(all.items.map((o) => o.account))).toEqual(new Set(["A1", "A2", "A3"]));
    // "*" without the regulator role is nothing
    expect(((await get("/v1/orders", as("*"))).json() as { items: unknown[] }).items).toEqual([]);
  });
  it("answers 403 for another account's positions and 404 for another account's order", async () => {
    expect((await get("/v1/accounts/A3/positions", as("A1"))).statusCode).toBe(403);
    expect((await get("/v1/orders/o3", as("A1"))).statusCode).toBe(404);
    expect((await get("/v1/orders", as("A1", "ops"))).statusCode).toBe(403);
  });
});

describe("orders", () => {
  it("filters by account, pair and status", async () => {
    const r = (await get("/v1/orders?account=A2&symbol=EURUSD&status=4")).json() as {
      items: { orderId: string; ordStatus: string; cumQty: number }[];
    };
    expect(r.items).toEqual([
      expect.objectContaining({ orderId: "o2", ordStatus: "4", cumQty: 500_000 }),
    ]);
  });
  it("paginates with cursors: limit 1 pages visit every order once", async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = (
        await get(`/v1/orders?limit=1${cursor ? `&cursor=${cursor}` : ""}`, as("*", "regulator"))
      ).json() as { items: { orderId: string }[]; nextCursor: string | null };
      seen.push(...page.items.map((o) => o.orderId));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen.sort()).toEqual(["j1", "j2", "o1", "o2", "o3"]);
  });
  it("filters by time range on the last update", async () => {
    const r = (
      await get(
        "/v1/orders?from=2027-01-15T08:00:01.000Z&to=2027-01-15T08:00:02.800Z",
        as("*", "regulator"),
      )
    ).json() as { items: { orderId: string }[] };
    expect(r.items.map((o) => o.orderId).sort()).toEqual(["o1", "o2", "o3"]);
  });
  it("returns one order with its execution history, by OrderID and by any of its ClOrdIDs", async () => {
    const byId = (await get("/v1/orders/o2")).json() as {
      order: { ordStatus: string; avgPx: string; leavesQty: number };
      executions: { execType: string }[];
    };
    expect(byId.order).toMatchObject({ ordStatus: "4", avgPx: "1.09990", leavesQty: 0 });
    expect(byId.executions.map((e) => e.execType)).toEqual(["0", "F", "4"]);
    const byOrig = (await get("/v1/accounts/A2/orders/by-clordid/c-o2")).json() as {
      order: { orderId: string };
    };
    const byCancel = (await get("/v1/accounts/A2/orders/by-clordid/x-o2")).json() as {
      order: { orderId: string };
    };
    expect([byOrig.order.orderId, byCancel.order.orderId]).toEqual(["o2", "o2"]);
    expect((await get("/v1/orders/nope")).statusCode).toBe(404);
  });
  it.each([
    ["/v1/orders?limit=0", "querystring.limit"],
    ["/v1/orders?limit=501", "querystring.limit"],
    ["/v1/orders?status=Z", "querystring.status"],
    ["/v1/orders?symbol=eur", "querystring.symbol"],
    ["/v1/orders?from=yesterday", "querystring.from"],
    ["/v1/orders?cursor=garbage", "querystring.cursor"],
    ["/v1/orders?colour=red", "querystring"],
    ["/v1/orders?from=2027-01-02T00:00:00Z&to=2027-01-01T00:00:00Z", "querystring.from"],
    ["/v1/candles/EURUSD?from=2027-01-01T00:00:00Z", "querystring.interval"],
    ["/v1/accounts/A1/executions?sinceSeq=-1", "querystring.sinceSeq"],
    ["/v1/depth/EURUSD?levels=51", "querystring.levels"],
    ["/v1/orders?minPosition=abc", "querystring.minPosition"],
  ])("GET %s → 400 naming %s", async (url, field) => {
    const r = await get(url);
    expect(r.statusCode).toBe(400);
    const body = r.json() as { error: string; details: { field: string }[] };
    expect(body.error).toBe("BAD_REQUEST");
    expect(body.details.some((d) => d.field.startsWith(field))).toBe(true);
  });
});

describe("executions, trades, positions, depth, candles", () => {
  it("lists an account's executions after a sequence, gapless", async () => {
    const res = await get("/v1/accounts/A3/executions", as("A3"));
    expect(res.statusCode, res.body).toBe(200);
    const all = res.json() as { items: { seq: number; execType: string }[] };
    expect(all.items.map((e) => e.seq)).toEqual(all.items.map((_, i) => i + 1));
    const after = (await get("/v1/accounts/A3/executions?sinceSeq=1&limit=1", as("A3"))).json() as {
      items: { seq: number }[];
      nextSinceSeq: number;
    };
    expect(after.items.map((e) => e.seq)).toEqual([2]);
    expect(after.nextSinceSeq).toBe(2);
  });
  it("serves the public tape newest first with a cursor", async () => {
    const p1 = (await get("/v1/trades/EURUSD?limit=1")).json() as {
      items: { seq: number; price: string }[];
      nextCursor: string;
    };
    const p2 = (await get(`/v1/trades/EURUSD?limit=1&cursor=${p1.nextCursor}`)).json() as {
      items: { seq: number; price: string }[];
      nextCursor: string | null;
    };
    expect(p1.items[0]!.seq).toBeGreaterThan(p2.items[0]!.seq);
    expect([p1.items[0]!.price, p2.items[0]!.price].sort()).toEqual(["1.09990", "1.10000"]);
    expect((await get("/v1/trades/XXXYYY")).statusCode).toBe(404);
  });
  it("reports positions and balances exactly", async () => {
    const r = (await get("/v1/accounts/A3/positions", as("A3"))).json() as {
      positions: { symbol: string; netQty: string; avgPx: string }[];
      balances: { currency: string; amount: string }[];
    };
    expect(r.positions).toEqual([
      expect.objectContaining({ symbol: "EURUSD", netQty: "-1500000", avgPx: "1.099966667" }),
    ]);
    // sold 1,000,000 @ 1.10000 and 500,000 @ 1.09990
    expect(r.balances).toEqual([
      { currency: "EUR", amount: "-1500000.00000000" },
      { currency: "USD", amount: "1649950.00000000" },
    ]);
  });
  it("shows L2 depth best first", async () => {
    const d = (await get("/v1/depth/USDJPY")).json() as {
      bids: { price: string; qty: string }[];
      asks: { price: string; qty: string }[];
    };
    expect(d).toMatchObject({
      bids: [{ price: "150.000", qty: "1000", orders: 1 }],
      asks: [{ price: "150.100", qty: "2000", orders: 1 }],
    });
  });
  it("serves candles per interval", async () => {
    const r = (await get("/v1/candles/EURUSD?interval=1m&from=2027-01-01T00:00:00Z")).json() as {
      items: { open: string; close: string; volume: string; trades: number }[];
    };
    expect(r.items).toEqual([
      expect.objectContaining({
        open: "1.10000",
        close: "1.09990",
        high: "1.10000",
        low: "1.09990",
        volume: "1500000",
        trades: 2,
      }),
    ]);
  });
  it("publishes an OpenAPI 3 document generated from the route schemas", async () => {
    const doc = (await app.inject({ method: "GET", url: "/docs/json" })).json() as {
      openapi: string;
      paths: Record<string, unknown>;
    };
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        "/v1/orders",
        "/v1/orders/{orderId}",
        "/v1/candles/{symbol}",
        "/v1/stream/accounts/{account}/executions",
      ]),
    );
    expect((await app.inject({ method: "GET", url: "/docs/" })).statusCode).toBe(200);
  });
  it("serves health, readiness and Prometheus metrics without identity headers", async () => {
    expect((await app.inject({ method: "GET", url: "/healthz" })).statusCode).toBe(200);
    expect((await app.inject({ method: "GET", url: "/readyz" })).statusCode).toBe(200);
    const m = await app.inject({ method: "GET", url: "/metrics" });
    expect(m.statusCode).toBe(200);
    expect(m.body).toMatch(
      /fx_query_request_seconds_count\{[^}]*route="\/v1\/orders"[^}]*\} [1-9]/,
    );
  });
});

describe("read-your-writes", () => {
  it("a request carrying the position of a not-yet-projected event waits until the projection applied it", async () => {
    const events = run([accept("ryw", "A1", "BUY", 109000, 1_000, 5_000)]);
    const accepted = events[0]!;
    const store = new PostgresEventStore(pool);
    const r = await store.append(streamId("order-ryw"), "no-stream", [
      {
        eventId: esEventId(accepted.eventId),
        type: "OrderAccepted",
        schemaId: 1,
        schemaVersion: 1,
        payload: new Uint8Array([0]),
        metadata: {},
      },
    ]);
    if (!r.ok) throw new Error("append failed");
    const position = r.value.globalPositions[0]!;
    const started = Date.now();
    const pending = get(`/v1/orders/ryw?minPosition=${position}`, as("A1"));
    await new Promise((res) => setTimeout(res, 300));
    await project(events);
    const answer = await pending;
    expect(answer.statusCode).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    // and a position the projection never reaches gives up, bounded
    const late = await get(`/v1/orders/ryw?minPosition=${position + 1000n}`, as("A1"));
    expect(late.statusCode).toBe(503);
    expect(late.json()).toMatchObject({ error: "NOT_YET_VISIBLE" });
  });
});

/** Reads SSE frames until `done(frames)` or timeout; returns them. */
const readSse = async (
  url: string,
  headers: Record<string, string>,
  done: (f: { id?: string; event?: string; data?: string; comment?: string }[]) => boolean,
) => {
  const ac = new AbortController();
  const res = await fetch(`http://127.0.0.1:18190${url}`, { headers, signal: ac.signal });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/text\/event-stream/);
  const frames: { id?: string; event?: string; data?: string; comment?: string }[] = [];
  const reader = res.body!.getReader();
  let buf = "";
  const deadline = Date.now() + 10_000;
  while (!done(frames) && Date.now() < deadline) {
    const { value, done: end } = await reader.read();
    if (end) break;
    buf += new TextDecoder().decode(value);
    for (let i = buf.indexOf("\n\n"); i >= 0; i = buf.indexOf("\n\n")) {
      const block = buf.slice(0, i);
      buf = buf.slice(i + 2);
      const f: { id?: string; event?: string; data?: string; comment?: string } = {};
      for (const line of block.split("\n")) {
        if (line.startsWith(":")) f.comment = line;
        else if (line.startsWith("id: ")) f.id = line.slice(4);
        else if (line.startsWith("event: ")) f.event = line.slice(7);
        else if (line.startsWith("data: ")) f.data = line.slice(6);
      }
      frames.push(f);
    }
  }
  ac.abort();
  return frames;
};

describe("server-sent events", () => {
  it("an executions stream resumed with Last-Event-ID misses nothing and repeats nothing", async () => {
    const first = await readSse(
      "/v1/stream/accounts/A1/executions",
      as("A1"),
      (f) => f.filter((x) => x.event === "execution").length >= 2,
    );
    const got = first.filter((x) => x.event === "execution");
    const lastId = got[1]!.id!;
    // while disconnected: more activity for A1
    await project(
      run([accept("o9", "A1", "SELL", 111000, 1_000, 6_000), cancel("o9", "A1", "SELL", 6_100)]),
    );
    const total = ((await get("/v1/accounts/A1/executions")).json() as { items: unknown[] }).items
      .length;
    const second = await readSse(
      "/v1/stream/accounts/A1/executions",
      { ...as("A1"), "last-event-id": lastId },
      (f) => f.filter((x) => x.event === "execution").length >= total - 2,
    );
    const ids = [...got.slice(0, 2), ...second.filter((x) => x.event === "execution")].map((x) =>
      Number(x.id),
    );
    expect(ids).toEqual(Array.from({ length: total }, (_, i) => i + 1));
  });
  it("pushes live trades and depth per pair, with heartbeats", async () => {
    const trades = readSse(
      "/v1/stream/trades/USDJPY",
      as("A1"),
      (f) =>
        f.some((x) => x.event === "trade") && f.some((x) => x.comment?.startsWith(": heartbeat")),
    );
    const depth = readSse(
      "/v1/stream/depth/USDJPY",
      as("A1"),
      (f) => f.filter((x) => x.event === "depth").length >= 2,
    );
    await new Promise((r) => setTimeout(r, 400));
    await project(run([accept("j3", "A2", "SELL", 150000, 1_000, 7_000, "USDJPY")]));
    const t = await trades;
    expect(JSON.parse(t.find((x) => x.event === "trade")!.data!)).toMatchObject({
      symbol: "USDJPY",
      price: "150.000",
      qty: 1000,
    });
    const d = (await depth)
      .filter((x) => x.event === "depth")
      .map((x) => JSON.parse(x.data!) as { bids: unknown[] });
    expect(d[0]!.bids).toHaveLength(1);
    expect(d.at(-1)!.bids).toHaveLength(0);
  });
  it("refuses another account's stream and a malformed Last-Event-ID", async () => {
    expect((await get("/v1/stream/accounts/A3/executions", as("A1"))).statusCode).toBe(403);
    expect(
      (await get("/v1/stream/accounts/A1/executions?lastEventId=x", as("A1"))).statusCode,
    ).toBe(400);
    for (const url of ["/v1/stream/accounts/A1/executions", "/v1/stream/trades/EURUSD"]) {
      const bad = await get(url, { ...as("A1"), "last-event-id": "12a" });
      expect(bad.statusCode).toBe(400);
      expect(bad.json()).toMatchObject({ error: "BAD_REQUEST" });
      expect(JSON.stringify(bad.json())).toContain("Last-Event-ID");
    }
  });
  it("answers 404 UNKNOWN_SYMBOL for a stream of a pair that is not an instrument", async () => {
    for (const url of ["/v1/stream/trades/EURXXX", "/v1/stream/depth/EURXXX"]) {
      const r = await get(url);
      expect(r.statusCode).toBe(404);
      expect(r.json()).toMatchObject({ error: "UNKNOWN_SYMBOL" });
    }
  });
});
