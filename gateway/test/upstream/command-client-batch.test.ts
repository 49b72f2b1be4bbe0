// POST /orders/batch (ADR 066) against a real HTTP server on an ephemeral
// port playing command-service: orders of one loop turn travel together, each
// answer goes back to its own order, and a failed call is an unknown outcome
// for every item (never a definite failure hiding a committed order).

import http from "node:http";
import type { AddressInfo } from "node:net";
import { REFERENCE_CATALOG } from "@fxcore/domain";
import { createTraceState, ROOT_CONTEXT, trace } from "@opentelemetry/api";
import { afterEach, describe, expect, it } from "vitest";
import { encodeFixJson } from "../../src/fix/json.ts";
import { commandServiceClient } from "../../src/upstream/command-client.ts";
import type { UpstreamOutcome } from "../../src/upstream/order-entry.ts";

const trader = (account: string) => ({
  keyId: `k-${account}`,
  accounts: [account],
  roles: ["trader" as const],
});
const place = (clOrdId: string, account = "ACC1") => ({
  type: "PlaceOrder" as const,
  clOrdId: clOrdId as never,
  account: account as never,
  symbol: "EURUSD",
  side: "BUY" as const,
  ordType: "LIMIT" as const,
  price: "1.10000",
  orderQty: "1000000",
  tif: "GTC" as const,
  expireTime: null,
  minQty: null,
  postOnly: false,
});

interface BatchItem {
  caller: { keyId: string; accounts: string[]; roles: string[] };
  traceparent?: string;
  command: Record<string, unknown> & { kind: string; clOrdId: string; account: string };
}

const reportFor = (c: BatchItem["command"], n: number, rejected = false) => ({
  msgType: "8",
  orderId: `O${n}`,
  clOrdId: c.clOrdId,
  origClOrdId: null,
  execId: null,
  execType: rejected ? "8" : "0",
  ordStatus: rejected ? "8" : "0",
  account: c.account,
  symbol: "EURUSD",
  side: "BUY",
  ordType: "LIMIT",
  price: 110000,
  orderQty: 1000000,
  timeInForce: "GTC",
  expireTime: null,
  lastQty: null,
  lastPx: null,
  cumQty: 0,
  leavesQty: rejected ? 0 : 1000000,
  avgPx: { tradedNotional: "0", cumQty: 0 },
  ordRejReason: rejected ? 3 : null,
  text: rejected ? "exceeds limit" : null,
  transactTime: "1790000000123000000",
});

const servers: http.Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    s.close();
  }
});

interface Seen {
  readonly url: string;
  readonly body: string;
}
/** A server that records every request and answers with `answer`. */
const serve = async (answer: (url: string, body: string, res: http.ServerResponse) => void) => {
  const seen: Seen[] = [];
  const s = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      seen.push({ url: req.url!, body });
      answer(req.url!, body, res);
    });
  });
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`, seen };
};

const json = (res: http.ServerResponse, status: number, body: unknown) =>
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));

/** command-service's batch contract: ACC9 is over its limit (422), "REJ" orders get a rejection report. */
const batchDouble = (url: string, body: string, res: http.ServerResponse) => {
  if (url !== "/orders/batch") return json(res, 404, { error: { code: "NOT_FOUND" } });
  const { items } = JSON.parse(body) as { items: BatchItem[] };
  json(res, 200, {
    answers: items.map((it, i) =>
      it.caller.accounts.includes(it.command.account) === false
        ? { status: 403, body: { error: { code: "ACCOUNT_NOT_AUTHORISED", message: "no" } } }
        : it.command.account === "ACC9"
          ? { status: 422, body: { error: { code: "INVALID_COMMAND", message: "bad" } } }
          : {
              status: 200,
              body: {
                report: reportFor(it.command, i, it.command.clOrdId.startsWith("REJ")),
                // A JSON number, as command-service sends it (ADR 133).
                position: 100 + i,
                orderId: `O${i}`,
                resent: false,
              },
            },
    ),
  });
};

/** A batch double that holds its first answer until `release()`: orders behind that call must wait. */
const serveHoldingFirstAnswer = async () => {
  let release = () => {};
  const held = new Promise<void>((r) => (release = r));
  let calls = 0;
  const s = await serve((url, body, res) => {
    if (++calls === 1) void held.then(() => batchDouble(url, body, res));
    else batchDouble(url, body, res);
  });
  return { s, release };
};

const client = (
  url: string,
  extra: {
    batchMax?: number;
    timeoutMs?: number;
    batchCallsMax?: number;
    batchHoldMs?: number;
    batchOverlapMin?: number;
    batchFillMin?: number;
    batchFillMs?: number;
  } = {},
) => commandServiceClient({ baseUrl: url, catalog: REFERENCE_CATALOG, timeoutMs: 2_000, ...extra });

const fixOf = (out: UpstreamOutcome) =>
  out.kind === "answer" ? JSON.parse(encodeFixJson(out.answer.report)) : null;

describe("command-service client, batches", () => {
  it("sends batches on connections of their own: no other request ever shares one (ADR 136)", async () => {
    const urlsBySocket = new Map<unknown, string[]>();
    const s = http.createServer((req, res) => {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        const urls = urlsBySocket.get(req.socket) ?? [];
        urls.push(req.url!);
        urlsBySocket.set(req.socket, urls);
        if (req.url === "/readyz") return json(res, 200, { status: "ready" });
        batchDouble(req.url!, body, res);
      });
    });
    servers.push(s);
    await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
    const c = client(`http://127.0.0.1:${(s.address() as AddressInfo).port}`);
    // A readiness probe first, as the gateway's /readyz does, then orders, then another probe.
    expect(await c.ready()).toBe(true);
    const outs = await Promise.all(
      ["S1", "S2", "S3"].map((id) => c.place(place(id), trader("ACC1"))),
    );
    expect(outs.map((o) => o.kind)).toEqual(["answer", "answer", "answer"]);
    expect(await c.ready()).toBe(true);
    await c.close?.();
    const lists = [...urlsBySocket.values()];
    const batchSockets = lists.filter((urls) => urls.includes("/orders/batch"));
    expect(batchSockets.length).toBeGreaterThan(0);
    for (const urls of batchSockets) expect(new Set(urls)).toEqual(new Set(["/orders/batch"]));
    expect(lists.flat().filter((u) => u === "/readyz")).toHaveLength(2);
  });

  it("sends one loop turn's orders as one batch and gives each order its own answer", async () => {
    const s = await serve(batchDouble);
    const c = client(s.url);
    const span = trace.wrapSpanContext({
      traceId: "0af7651916cd43dd8448eb211c80319c",
      spanId: "b7ad6b7169203331",
      traceFlags: 1,
      traceState: createTraceState("vendor=x1"),
    });
    const outs = await Promise.all([
      c.place(place("A1"), trader("ACC1"), trace.setSpan(ROOT_CONTEXT, span)),
      c.place(place("REJ2", "ACC2"), trader("ACC2")),
      c.place(place("A3", "ACC9"), trader("ACC9")),
      c.place(place("A4", "ACC1"), trader("ACC2")),
    ]);
    expect(s.seen.map((r) => r.url)).toEqual(["/orders/batch"]);
    const sent = JSON.parse(s.seen[0]!.body) as { items: BatchItem[] };
    expect(sent.items.map((i) => i.command.clOrdId)).toEqual(["A1", "REJ2", "A3", "A4"]);
    expect(sent.items[0]).toEqual({
      caller: { keyId: "k-ACC1", accounts: ["ACC1"], roles: ["trader"] },
      traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
      tracestate: "vendor=x1",
      command: {
        kind: "place",
        clOrdId: "A1",
        account: "ACC1",
        symbol: "EURUSD",
        side: "BUY",
        ordType: "LIMIT",
        price: "1.10000",
        orderQty: "1000000",
        timeInForce: "GTC",
      },
    });
    expect(sent.items[1]!.traceparent).toBeUndefined();
    expect(sent.items[1]).not.toHaveProperty("tracestate");
    expect(outs[0]).toMatchObject({ kind: "answer", answer: { position: "100" } });
    expect(fixOf(outs[0]!)).toMatchObject({ MsgType: "8", ClOrdID: "A1", ExecType: "0" });
    expect(fixOf(outs[1]!)).toMatchObject({ ClOrdID: "REJ2", ExecType: "8", OrdRejReason: "3" });
    expect(outs[2]).toEqual({ kind: "invalid", reason: "422 INVALID_COMMAND" });
    expect(outs[3]).toEqual({ kind: "invalid", reason: "403 ACCOUNT_NOT_AUTHORISED" });
    await c.close?.();
  });

  it("splits a turn's orders into batches of at most batchMax, answers in order", async () => {
    const s = await serve(batchDouble);
    const c = client(s.url, { batchMax: 2 });
    const ids = ["B1", "B2", "B3", "B4", "B5"];
    const outs = await Promise.all(ids.map((id) => c.place(place(id), trader("ACC1"))));
    expect(s.seen.map((r) => (JSON.parse(r.body) as { items: unknown[] }).items.length)).toEqual([
      2, 2, 1,
    ]);
    expect(outs.map((o) => fixOf(o)?.ClOrdID)).toEqual(ids);
    await c.close?.();
  });

  it("orders of later loop turns go in later batches", async () => {
    const s = await serve(batchDouble);
    const c = client(s.url);
    const first = c.place(place("T1"), trader("ACC1"));
    await new Promise((r) => setImmediate(r));
    const second = c.place(place("T2"), trader("ACC1"));
    await Promise.all([first, second]);
    expect(s.seen).toHaveLength(2);
    await c.close?.();
  });

  it("with a calls limit, orders wait while it is reached and leave together when a call answers", async () => {
    const { s, release } = await serveHoldingFirstAnswer();
    const c = client(s.url, { batchCallsMax: 1, batchHoldMs: 10_000 });
    const first = c.place(place("L1"), trader("ACC1"));
    const later: Promise<UpstreamOutcome>[] = [];
    for (const id of ["L2", "L3", "L4"]) {
      await new Promise((r) => setImmediate(r)); // each in a later loop turn
      later.push(c.place(place(id), trader("ACC1")));
    }
    await new Promise((r) => setTimeout(r, 50));
    expect(s.seen).toHaveLength(1); // the limit held L2-L4 back
    release();
    const outs = await Promise.all([first, ...later]);
    expect(outs.map((o) => fixOf(o)?.ClOrdID)).toEqual(["L1", "L2", "L3", "L4"]);
    expect(s.seen.map((r) => (JSON.parse(r.body) as { items: unknown[] }).items.length)).toEqual([
      1, 3,
    ]);
    await c.close?.();
  });

  it("with a calls limit reached, full calls still go; only the partial rest waits", async () => {
    const { s, release } = await serveHoldingFirstAnswer();
    const c = client(s.url, { batchCallsMax: 1, batchMax: 2, batchHoldMs: 10_000 });
    const first = c.place(place("P1"), trader("ACC1"));
    await new Promise((r) => setImmediate(r));
    const ids = ["P2", "P3", "P4", "P5", "P6"];
    const rest = ids.map((id) => c.place(place(id), trader("ACC1")));
    await new Promise((r) => setTimeout(r, 50));
    // P2+P3 and P4+P5 are full calls: sent although P1's call is unanswered; P6 waits.
    expect(s.seen.map((r) => (JSON.parse(r.body) as { items: unknown[] }).items.length)).toEqual([
      1, 2, 2,
    ]);
    release();
    const outs = await Promise.all([first, ...rest]);
    expect(outs.map((o) => fixOf(o)?.ClOrdID)).toEqual(["P1", ...ids]);
    expect(s.seen).toHaveLength(4);
    await c.close?.();
  });

  it("with a calls limit reached, a call of batchOverlapMin orders goes; fewer wait", async () => {
    const { s, release } = await serveHoldingFirstAnswer();
    const c = client(s.url, {
      batchCallsMax: 1,
      batchMax: 8,
      batchOverlapMin: 3,
      batchHoldMs: 10_000,
    });
    const first = c.place(place("O1"), trader("ACC1"));
    await new Promise((r) => setImmediate(r));
    const two = ["O2", "O3"].map((id) => c.place(place(id), trader("ACC1")));
    await new Promise((r) => setTimeout(r, 30));
    expect(s.seen).toHaveLength(1); // 2 waiting: fewer than 3, held back
    const third = c.place(place("O4"), trader("ACC1"));
    await new Promise((r) => setTimeout(r, 30));
    // 3 waiting: they overlap the unanswered first call.
    expect(s.seen.map((r) => (JSON.parse(r.body) as { items: unknown[] }).items.length)).toEqual([
      1, 3,
    ]);
    const fifth = c.place(place("O5"), trader("ACC1"));
    await new Promise((r) => setTimeout(r, 30));
    expect(s.seen).toHaveLength(2); // O5 alone waits for a call to end
    release();
    const outs = await Promise.all([first, ...two, third, fifth]);
    expect(outs.map((o) => fixOf(o)?.ClOrdID)).toEqual(["O1", "O2", "O3", "O4", "O5"]);
    expect(s.seen.map((r) => (JSON.parse(r.body) as { items: unknown[] }).items.length)).toEqual([
      1, 3, 1,
    ]);
    await c.close?.();
  });

  it("with batchFillMin, after a call of half that many a partial call waits for the fill or until due; at light load none waits", async () => {
    const s = await serve(batchDouble);
    const c = client(s.url, {
      batchCallsMax: 1,
      batchFillMin: 4,
      batchFillMs: 300,
      batchHoldMs: 10_000,
    });
    const sizes = () =>
      s.seen.map((r) => (JSON.parse(r.body) as { items: unknown[] }).items.length);
    const ask = (id: string) => c.place(place(id), trader("ACC1"));
    const fix = async (p: Promise<UpstreamOutcome>) => fixOf(await p)?.ClOrdID;
    // Two in one turn, no call before: they go at once, a call of 2 (half of 4).
    expect(await Promise.all([fix(ask("A1")), fix(ask("A2"))])).toEqual(["A1", "A2"]);
    const f1 = fix(ask("F1"));
    await new Promise((r) => setTimeout(r, 40));
    expect(sizes()).toEqual([2]); // 1 of 4, 40 ms old: held
    const rest: Promise<string | undefined>[] = [];
    for (const id of ["F2", "F3", "F4"]) {
      await new Promise((r) => setImmediate(r));
      rest.push(fix(ask(id)));
    }
    expect(await Promise.all([f1, ...rest])).toEqual(["F1", "F2", "F3", "F4"]);
    expect(sizes()).toEqual([2, 4]); // the fourth made the call, well before 300 ms
    let t0 = performance.now();
    expect(await fix(ask("F5"))).toBe("F5");
    expect(performance.now() - t0).toBeGreaterThanOrEqual(290); // alone: sent when due
    t0 = performance.now();
    expect(await fix(ask("F6"))).toBe("F6");
    expect(performance.now() - t0).toBeLessThan(200); // the last call carried 1: no wait
    expect(sizes()).toEqual([2, 4, 1, 1]);
    await c.close?.();
  });

  it("with a calls limit, an order held longer than the hold bound leaves anyway", async () => {
    const { s, release } = await serveHoldingFirstAnswer();
    const c = client(s.url, { batchCallsMax: 1, batchHoldMs: 300 });
    const first = c.place(place("H1"), trader("ACC1"));
    await new Promise((r) => setImmediate(r));
    const t0 = performance.now();
    const second = c.place(place("H2"), trader("ACC1"));
    await new Promise((r) => setTimeout(r, 40));
    expect(s.seen).toHaveLength(1); // held: the first call is out
    while (s.seen.length < 2 && performance.now() - t0 < 2_000)
      await new Promise((r) => setTimeout(r, 10));
    expect(s.seen).toHaveLength(2); // sent after the hold, the first still unanswered
    expect(performance.now() - t0).toBeGreaterThanOrEqual(290);
    release();
    const outs = await Promise.all([first, second]);
    expect(outs.map((o) => fixOf(o)?.ClOrdID)).toEqual(["H1", "H2"]);
    await c.close?.();
  });

  it("with a calls limit, a failed call frees its slot for the orders waiting", async () => {
    let calls = 0;
    const s = await serve((url, body, res) => {
      if (++calls === 1)
        res.destroy(); // written, never answered: unknown
      else batchDouble(url, body, res);
    });
    const c = client(s.url, { batchCallsMax: 1 });
    const first = c.place(place("F1"), trader("ACC1"));
    await new Promise((r) => setImmediate(r));
    const second = c.place(place("F2"), trader("ACC1"));
    const outs = await Promise.all([first, second]);
    expect(outs[0]?.kind).toBe("unknown");
    expect(fixOf(outs[1]!)?.ClOrdID).toBe("F2");
    await c.close?.();
  });

  it("without a calls limit, a turn's batch leaves while another call is unanswered", async () => {
    const { s, release } = await serveHoldingFirstAnswer();
    const c = client(s.url, { batchCallsMax: 0 });
    const first = c.place(place("N1"), trader("ACC1"));
    await new Promise((r) => setImmediate(r));
    const second = c.place(place("N2"), trader("ACC1"));
    await new Promise((r) => setTimeout(r, 50));
    expect(s.seen).toHaveLength(2); // sent while the first was unanswered
    release();
    const outs = await Promise.all([first, second]);
    expect(outs.map((o) => fixOf(o)?.ClOrdID)).toEqual(["N1", "N2"]);
    await c.close?.();
  });

  it("a batch call without an answer is an unknown outcome for every order in it", async () => {
    const s = await serve(() => {}); // reads, never answers
    const c = client(s.url, { timeoutMs: 300 });
    const outs = await Promise.all([
      c.place(place("U1"), trader("ACC1")),
      c.place(place("U2"), trader("ACC1")),
    ]);
    expect(outs.map((o) => o.kind)).toEqual(["unknown", "unknown"]);
    expect(s.seen).toHaveLength(1);
  });

  it("a refused connection leaves every order of the batch definitely not applied", async () => {
    const s = await serve(() => {});
    servers.pop()!.close();
    await new Promise((r) => setTimeout(r, 50));
    const c = client(s.url);
    const outs = await Promise.all([
      c.place(place("R1"), trader("ACC1")),
      c.place(place("R2"), trader("ACC1")),
    ]);
    expect(outs.map((o) => o.kind)).toEqual(["unavailable", "unavailable"]);
  });

  it.each([
    [500, "INTERNAL", "unknown"],
    [503, "STORE_UNAVAILABLE", "unavailable"],
    [400, "INVALID_BATCH", "invalid"],
  ])("a whole batch answered %i %s is %s for every order", async (status, code, kind) => {
    const s = await serve((_u, _b, res) => json(res, status, { error: { code, message: "x" } }));
    const c = client(s.url);
    const outs = await Promise.all([
      c.place(place("H1"), trader("ACC1")),
      c.place(place("H2"), trader("ACC1")),
    ]);
    expect(outs.map((o) => o.kind)).toEqual([kind, kind]);
    await c.close?.();
  });

  it.each([
    ["answers of another length", { answers: [] }],
    ["no answers", { ok: true }],
    ["an item without a status", { answers: [{ body: {} }, { status: 200 }] }],
  ])("a 200 with %s is unknown, never a definite failure", async (_what, body) => {
    const s = await serve((_u, _b, res) => json(res, 200, body));
    const c = client(s.url);
    const outs = await Promise.all([
      c.place(place("M1"), trader("ACC1")),
      c.place(place("M2"), trader("ACC1")),
    ]);
    expect(outs.map((o) => o.kind)).toEqual(["unknown", "unknown"]);
    await c.close?.();
  });

  it.each([
    ["a decimal string (an older command-service)", "7", "7"],
    ["a number", 7, "7"],
    ["zero", 0, "0"],
    ["a negative number", -7, null],
    ["a fraction", 7.5, null],
    ["an unsafe integer", 2 ** 60, null],
    ["text that is not digits", "7\r\nx-injected: 1", null],
    ["an object", { p: 7 }, null],
  ])("an answer's position as %s is the header text %j", async (_what, position, text) => {
    const s = await serve((url, body, res) => {
      if (url !== "/orders/batch") return json(res, 404, {});
      const { items } = JSON.parse(body) as { items: BatchItem[] };
      json(res, 200, {
        answers: items.map((it) => ({
          status: 200,
          body: { report: reportFor(it.command, 1), position, orderId: "O1", resent: false },
        })),
      });
    });
    const c = client(s.url);
    const out = await c.place(place("P1"), trader("ACC1"));
    expect(out).toMatchObject({ kind: "answer", answer: { position: text } });
    expect(fixOf(out)?.ClOrdID).toBe("P1");
    await c.close?.();
  });

  it("falls back to one POST /orders per order when command-service has no batch route", async () => {
    const s = await serve((url, body, res) => {
      if (url !== "/orders") return json(res, 404, { error: { code: "NOT_FOUND" } });
      const b = JSON.parse(body) as BatchItem["command"];
      json(res, 200, { report: reportFor(b, 1), position: "7", orderId: "O1", resent: false });
    });
    const c = client(s.url);
    const outs = await Promise.all([
      c.place(place("F1"), trader("ACC1")),
      c.place(place("F2"), trader("ACC1")),
    ]);
    expect(outs.map((o) => fixOf(o)?.ClOrdID)).toEqual(["F1", "F2"]);
    // Singles carry the command without the batch's "kind".
    expect(JSON.parse(s.seen[1]!.body)).not.toHaveProperty("kind");
    const later = await c.place(place("F3"), trader("ACC1"));
    expect(fixOf(later)?.ClOrdID).toBe("F3");
    expect(s.seen.map((r) => r.url)).toEqual([
      "/orders/batch",
      "/orders",
      "/orders",
      "/orders", // no second probe of the batch route right away
    ]);
    await c.close?.();
  });

  it("close sends the orders already taken before closing", async () => {
    const s = await serve(batchDouble);
    const c = client(s.url);
    const out = c.place(place("C1"), trader("ACC1"));
    await c.close?.();
    expect(fixOf(await out)?.ClOrdID).toBe("C1");
  });
});
