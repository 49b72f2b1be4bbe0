// POST /v1/fix is answered straight from node:http (ADR 067), everything else
// by Fastify. The two must be indistinguishable: the same requests sent to two
// identical gateways — one through Fastify (inject), one over a real socket —
// get the same status, headers and body. Requests the fast path must leave to
// Fastify (too large, chunked, other content types) are checked to reach it.

import http from "node:http";
import net, { type AddressInfo } from "node:net";
import { createMetricsRegistry } from "@fxcore/infra";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { signedHeaders } from "../../src/auth/signing.ts";
import { DEFAULT_RATE_LIMITS } from "../../src/http/app.ts";
import { makeHarness, nos } from "../support/harness.ts";

interface Reply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

// Per-connection or per-moment headers, not part of the answer.
const VOLATILE = new Set(["date", "connection", "keep-alive", "transfer-encoding"]);
const answerHeaders = (h: Record<string, string | string[] | undefined>) =>
  Object.fromEntries(
    Object.entries(h)
      .filter(([k, v]) => !VOLATILE.has(k) && typeof v === "string")
      .sort(([a], [b]) => a.localeCompare(b)),
  ) as Record<string, string>;

const setup = async () => {
  const metrics = createMetricsRegistry({ service: "gateway-test" });
  const rateLimits = {
    ...DEFAULT_RATE_LIMITS,
    perAccount: { ...DEFAULT_RATE_LIMITS.perAccount, order: { ratePerSec: 1, burst: 12 } },
  };
  const h = await makeHarness({ metrics, rateLimits, bodyLimitBytes: 1024 });
  // Same key ids and secrets on both gateways: the same signed bytes are valid on each.
  return { h, metrics };
};

const viaInject = await setup();
/** Keep-alive clients: answered by the raw front. */
const viaRaw = await setup();
/** `Connection: close` clients: handed to node:http, answered by its fast route. */
const viaNode = await setup();
const fastifySaw = { raw: [] as string[], node: [] as string[] };
for (const [s, saw] of [
  [viaRaw, fastifySaw.raw],
  [viaNode, fastifySaw.node],
] as const) {
  s.h.app.addHook("onRequest", (req, _reply, done) => {
    saw.push(`${req.method} ${req.url}`);
    done();
  });
  await s.h.app.listen({ host: "127.0.0.1", port: 0 });
}
const portOf = (s: typeof viaRaw) => (s.h.app.server.address() as AddressInfo).port;
afterAll(async () => {
  await viaRaw.h.app.close();
  await viaNode.h.app.close();
  await viaInject.h.app.close();
});

const secret = Buffer.alloc(32, 7);
for (const s of [viaInject, viaRaw, viaNode]) {
  s.h.addKey({ accounts: ["ACC1"], roles: ["trader"] }, "k1", secret);
  s.h.addKey({ accounts: ["ACC2"], roles: ["trader"] }, "k2", secret);
}

const overSocket = (
  to: typeof viaRaw,
  method: string,
  path: string,
  headers: Record<string, string>,
  body: string | null,
  chunked = false,
): Promise<Reply> =>
  new Promise((resolve, reject) => {
    // A fresh connection per request; keep-alive ones say so in their head.
    const agent = to === viaRaw ? new http.Agent({ keepAlive: true }) : false;
    const req = http.request(
      { host: "127.0.0.1", port: portOf(to), method, path, headers, agent },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c) => (text += c));
        res.on("end", () => {
          if (agent) agent.destroy();
          resolve({ status: res.statusCode!, headers: answerHeaders(res.headers), body: text });
        });
      },
    );
    req.on("error", reject);
    if (body !== null) {
      if (chunked) {
        req.write(body.slice(0, 10));
        req.end(body.slice(10));
      } else req.end(body);
    } else req.end();
  });

/** The same request to the three gateways; the three answers. */
const all = async (
  o: {
    body: string;
    contentType?: string;
    keyId?: string;
    sign?: boolean;
    signature?: string;
    skewMs?: number;
    chunked?: boolean;
  },
  clockStep = 1,
) => {
  for (const s of [viaInject, viaRaw, viaNode]) s.h.clock.now += clockStep;
  const now = viaInject.h.clock.now;
  const headers: Record<string, string> = {
    "content-type": o.contentType ?? "application/json",
    ...(o.sign === false
      ? {}
      : signedHeaders(o.keyId ?? "k1", secret, "POST", "/v1/fix", o.body, now + (o.skewMs ?? 0))),
    ...(o.signature ? { "fx-signature": o.signature } : {}),
  };
  if (!o.chunked) headers["content-length"] = String(Buffer.byteLength(o.body));
  const injected = await viaInject.h.app.inject({
    method: "POST",
    url: "/v1/fix",
    headers,
    payload: o.body,
  });
  return {
    injected: {
      status: injected.statusCode,
      headers: answerHeaders(injected.headers as Record<string, string>),
      body: injected.body,
    },
    raw: await overSocket(viaRaw, "POST", "/v1/fix", headers, o.body, o.chunked),
    node: await overSocket(viaNode, "POST", "/v1/fix", headers, o.body, o.chunked),
  };
};

const EXPECTED_STATUS: Record<string, number> = {
  "a new order": 200,
  "a new order in tag=value": 200,
  "a resent ClOrdID": 200,
  "an unknown symbol": 422,
  "malformed JSON": 400,
  "an unknown field": 400,
  "a bad enum": 400,
  "a missing Price on a limit order": 422,
  "another trader's account": 403,
  "no credentials": 401,
  "an unknown key": 401,
  "a wrong signature": 401,
  "a skewed clock": 401,
  "a body over the limit": 413,
  "text/plain": 415,
  "json with a charset": 200,
  "a chunked body": 200,
  "an empty body": 400,
  "a non-ASCII value echoed in the reject": 400,
};

describe("order entry fast path", () => {
  it.each([
    ["a new order", { body: nos({ ClOrdID: "fp-1" }) }],
    [
      "a new order in tag=value",
      {
        body: "35=D|11=fp-2|1=ACC1|55=EURUSD|54=1|60=20260101-10:00:00.000|38=1000000|40=2|44=1.10000|59=1|",
        contentType: "application/fix",
      },
    ],
    ["a resent ClOrdID", { body: nos({ ClOrdID: "fp-1" }) }],
    ["an unknown symbol", { body: nos({ ClOrdID: "fp-3", Symbol: "XXXYYY" }) }],
    ["malformed JSON", { body: '{"MsgType":"D",' }],
    ["an unknown field", { body: nos({ ClOrdID: "fp-4", Colour: "red" }) }],
    ["a bad enum", { body: nos({ ClOrdID: "fp-5", Side: "9" }) }],
    ["a missing Price on a limit order", { body: nos({ ClOrdID: "fp-6", Price: undefined }) }],
    ["another trader's account", { body: nos({ ClOrdID: "fp-7", Account: "ACC2" }) }],
    ["no credentials", { body: nos({ ClOrdID: "fp-8" }), sign: false }],
    ["an unknown key", { body: nos({ ClOrdID: "fp-9" }), keyId: "nope" }],
    ["a wrong signature", { body: nos({ ClOrdID: "fp-10" }), signature: "ab".repeat(32) }],
    ["a skewed clock", { body: nos({ ClOrdID: "fp-11" }), skewMs: 60_000 }],
    // Left to Fastify by the fast path, answered the same either way:
    ["a body over the limit", { body: nos({ ClOrdID: "fp-12", Text: "x".repeat(2_000) }) }],
    ["text/plain", { body: nos({ ClOrdID: "fp-13" }), contentType: "text/plain" }],
    [
      "json with a charset",
      { body: nos({ ClOrdID: "fp-14" }), contentType: "application/json; charset=utf-8" },
    ],
    ["a chunked body", { body: nos({ ClOrdID: "fp-15" }), chunked: true }],
    ["an empty body", { body: "" }],
    // The answer's body is UTF-8: its content-length counts bytes, not characters.
    ["a non-ASCII value echoed in the reject", { body: nos({ ClOrdID: "fp-16", Side: "é" }) }],
  ])("%s: same answer over both socket paths as through Fastify", async (what, req) => {
    const { injected, raw, node } = await all(req);
    expect(raw).toEqual(injected);
    expect(node).toEqual(injected);
    expect(raw.status).toBe(EXPECTED_STATUS[what]);
  });

  it("answers a replayed signature the same way", async () => {
    for (const s of [viaInject, viaRaw, viaNode]) s.h.clock.now += 1;
    const body = nos({ ClOrdID: "fp-replay" });
    const headers = {
      "content-type": "application/json",
      "content-length": String(body.length),
      ...signedHeaders("k1", secret, "POST", "/v1/fix", body, viaRaw.h.clock.now),
    };
    const injected = [
      await viaInject.h.app.inject({ method: "POST", url: "/v1/fix", headers, payload: body }),
      await viaInject.h.app.inject({ method: "POST", url: "/v1/fix", headers, payload: body }),
    ];
    for (const to of [viaRaw, viaNode]) {
      const first = await overSocket(to, "POST", "/v1/fix", headers, body);
      const again = await overSocket(to, "POST", "/v1/fix", headers, body);
      expect(first.status).toBe(200);
      expect(again.status).toBe(401);
      expect(again.headers["fx-error-code"]).toBe("REPLAYED_SIGNATURE");
      expect(again.body).toBe(injected[1]!.body);
    }
  });

  it("throttles the same way (429 with Retry-After)", async () => {
    let last: Awaited<ReturnType<typeof all>> | null = null;
    for (let i = 0; i < 14; i++) last = await all({ body: nos({ ClOrdID: `fp-rl-${i}` }) }, 0);
    expect(last!.raw.status).toBe(429);
    expect(last!.raw).toEqual(last!.injected);
    expect(last!.node).toEqual(last!.injected);
  });

  it("answers the hot requests itself and leaves the unusual ones to Fastify", () => {
    const unusual = [
      "POST /v1/fix", // over the limit
      "POST /v1/fix", // text/plain
      "POST /v1/fix", // charset
      "POST /v1/fix", // chunked
      "POST /v1/fix", // empty
    ];
    expect(fastifySaw.raw).toEqual(unusual);
    expect(fastifySaw.node).toEqual(unusual);
    // Keep-alive connections were the raw front's, `Connection: close` ones node's.
    expect(viaRaw.h.app.rawFront.stats.answered).toBeGreaterThan(20);
    expect(viaNode.h.app.rawFront.stats.answered).toBe(0);
  });

  it("counts its requests in the metrics", async () => {
    for (const s of [viaRaw, viaNode]) {
      const text = await s.metrics.metrics();
      expect(text).toMatch(
        /gateway_requests_total\{[^}]*route="\/v1\/fix",status="200",code=""[^}]*\} [1-9]/,
      );
      expect(text).toMatch(
        /gateway_requests_total\{[^}]*route="\/v1\/fix",status="401",code="BAD_SIGNATURE"/,
      );
    }
  });

  it("other methods and paths are Fastify's", async () => {
    const before = fastifySaw.raw.length;
    const get = await overSocket(viaRaw, "GET", "/v1/fix", {}, null);
    expect(get.status).toBe(405);
    const query = await overSocket(
      viaRaw,
      "POST",
      "/v1/fix?x=1",
      { "content-type": "application/json" },
      "{}",
    );
    expect(query.status).toBe(401);
    expect(fastifySaw.raw.length).toBe(before + 2);
  });
});

/** A raw connection to the keep-alive gateway: write bytes, read what comes back. */
const rawConnection = async (port = portOf(viaRaw)) => {
  const s = net.connect(port, "127.0.0.1");
  await new Promise((r) => s.once("connect", r));
  let received = "";
  let closed = false;
  s.setEncoding("utf8");
  s.on("data", (c) => (received += c));
  s.on("close", () => (closed = true));
  s.on("error", () => {});
  const waitFor = async (pred: () => boolean, ms = 3_000) => {
    const until = Date.now() + ms;
    while (!pred()) {
      if (Date.now() > until) throw new Error(`timed out; received so far:\n${received}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  return {
    socket: s,
    received: () => received,
    closed: () => closed,
    // Status lines: an answer's first line follows the previous body directly.
    answers: () => [...received.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => `HTTP/1.1 ${m[1]}`),
    waitFor,
  };
};

const signedRequest = (clOrdId: string, extraHeaders = "") => {
  // A second on: the account's order bucket (1/s, burst 12) never runs dry here.
  for (const s of [viaInject, viaRaw, viaNode]) s.h.clock.now += 1_000;
  const body = nos({ ClOrdID: clOrdId });
  const h = signedHeaders("k1", secret, "POST", "/v1/fix", body, viaRaw.h.clock.now);
  return `POST /v1/fix HTTP/1.1\r\nhost: gw\r\ncontent-type: application/json\r\nfx-key: ${h["fx-key"]}\r\nfx-timestamp: ${h["fx-timestamp"]}\r\nfx-signature: ${h["fx-signature"]}\r\n${extraHeaders}content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
};

describe("raw order-entry front", () => {
  it("answers pipelined orders in request order, in one connection", async () => {
    const c = await rawConnection();
    c.socket.write(signedRequest("pl-1") + signedRequest("pl-2") + signedRequest("pl-3"));
    await c.waitFor(() => c.answers().length === 3);
    const ids = [...c.received().matchAll(/"ClOrdID":"(pl-\d)"/g)].map((m) => m[1]);
    expect(ids).toEqual(["pl-1", "pl-2", "pl-3"]);
    expect(c.answers()).toEqual(["HTTP/1.1 200", "HTTP/1.1 200", "HTTP/1.1 200"]);
    expect(c.received()).toMatch(/content-length: \d+\r\n/);
    c.socket.destroy();
  });

  it("stops reading a connection with too many orders in progress, and resumes in order", async () => {
    let open: () => void = () => {};
    const gate = new Promise<void>((r) => (open = r));
    const inner = (await makeHarness()).orderEntry;
    const g = await makeHarness({
      orderEntry: { ...inner, place: async (...args) => gate.then(() => inner.place(...args)) },
    });
    g.addKey({ accounts: ["ACC1"], roles: ["trader"] }, "k1", secret);
    await g.app.listen({ host: "127.0.0.1", port: 0 });
    let text = "";
    for (let i = 0; i < 300; i++) {
      const body = nos({ ClOrdID: `cap-${i}` });
      const h = signedHeaders("k1", secret, "POST", "/v1/fix", body, g.clock.now);
      text += `POST /v1/fix HTTP/1.1\r\nhost: gw\r\ncontent-type: application/json\r\nfx-key: k1\r\nfx-timestamp: ${h["fx-timestamp"]}\r\nfx-signature: ${h["fx-signature"]}\r\ncontent-length: ${body.length}\r\n\r\n${body}`;
    }
    const c = await rawConnection((g.app.server.address() as AddressInfo).port);
    c.socket.write(text);
    await c.waitFor(() => g.app.rawFront.stats.throttled === 1);
    expect(c.answers()).toEqual([]);
    open();
    await c.waitFor(() => c.answers().length === 300, 10_000);
    const ids = [...c.received().matchAll(/"ClOrdID":"cap-(\d+)"/g)].map((m) => Number(m[1]));
    expect(ids).toEqual(Array.from({ length: 300 }, (_, i) => i));
    c.socket.destroy();
    await g.app.close();
  });

  it("hands a connection to node:http at its first other request, keeping order and the bytes read", async () => {
    const before = viaRaw.h.app.rawFront.stats.handedOff;
    const c = await rawConnection();
    // A split write: the GET's head arrives in two pieces after the order.
    c.socket.write(`${signedRequest("ho-1")}GET /heal`);
    await new Promise((r) => setTimeout(r, 20));
    c.socket.write(`thz HTTP/1.1\r\nhost: gw\r\n\r\n${signedRequest("ho-2")}`);
    await c.waitFor(() => c.answers().length === 3);
    expect(c.answers()).toEqual(["HTTP/1.1 200", "HTTP/1.1 200", "HTTP/1.1 200"]);
    const text = c.received();
    expect(text.indexOf('"ClOrdID":"ho-1"')).toBeLessThan(text.indexOf('{"status":"ok"}'));
    expect(text.indexOf('{"status":"ok"}')).toBeLessThan(text.indexOf('"ClOrdID":"ho-2"'));
    expect(viaRaw.h.app.rawFront.stats.handedOff).toBe(before + 1);
    c.socket.destroy();
  });

  it.each([
    ["a repeated signature header", "fx-signature: 00\r\n", 401],
    ["a head over 16 KiB", `x-pad: ${"a".repeat(17_000)}\r\n`, 431],
    ["Expect: 100-continue", "expect: 100-continue\r\n", 200],
    ["HTTP/1.1 Connection: close", "connection: close\r\n", 200],
    // Names are matched in any case, and checked as tokens in place.
    ["a repeated signature header, capitalised", "FX-Signature: 00\r\n", 401],
    ["Expect, capitalised", "Expect: 100-continue\r\n", 200],
    ["Transfer-Encoding, capitalised", "Transfer-Encoding: identity\r\n", 400],
    ["a name that is not a token", "x bad: 1\r\n", 400],
    ["a value with a control character", "x-note: a\u0001b\r\n", 400],
  ])("leaves %s to node:http", async (_what, extra, status) => {
    const before = viaRaw.h.app.rawFront.stats.handedOff;
    const c = await rawConnection();
    c.socket.write(signedRequest(`nd-${status}-${extra.length}`, extra));
    await c.waitFor(() => c.answers().length >= 1);
    expect(c.answers().at(-1)).toBe(`HTTP/1.1 ${status}`);
    expect(viaRaw.h.app.rawFront.stats.handedOff).toBe(before + 1);
    c.socket.destroy();
  });

  it("reads capitalised and padded header names and values itself", async () => {
    const before = viaRaw.h.app.rawFront.stats.handedOff;
    const c = await rawConnection();
    const text = signedRequest("cap-1", "X-Trace-Note:  keep\t \r\n")
      .replace("host: gw", "Host: gw")
      .replace("content-type: application/json", "Content-Type:   application/json\t")
      .replace("fx-key: ", "Fx-Key:");
    c.socket.write(text);
    await c.waitFor(() => c.answers().length === 1);
    expect(c.answers()).toEqual(["HTTP/1.1 200"]);
    expect(c.received()).toContain('"ClOrdID":"cap-1"');
    expect(viaRaw.h.app.rawFront.stats.handedOff).toBe(before);
    c.socket.destroy();
  });

  it("a request without Host is node's to refuse", async () => {
    const c = await rawConnection();
    c.socket.write(signedRequest("nh-1").replace("host: gw\r\n", ""));
    await c.waitFor(() => c.answers().length === 1);
    expect(c.answers()).toEqual(["HTTP/1.1 400"]);
    c.socket.destroy();
  });

  it("answers what was asked before a half-close, then ends", async () => {
    const c = await rawConnection();
    c.socket.end(signedRequest("hc-1"));
    await c.waitFor(() => c.closed());
    expect(c.answers()).toEqual(["HTTP/1.1 200"]);
  });

  it("survives a client that leaves in the middle of a body", async () => {
    const c = await rawConnection();
    c.socket.write(signedRequest("mid-1").slice(0, -10));
    await new Promise((r) => setTimeout(r, 20));
    c.socket.destroy();
    await new Promise((r) => setTimeout(r, 20));
    const { raw } = await all({ body: nos({ ClOrdID: "fp-after" }) }, 1_000);
    expect(raw.status).toBe(200);
  });

  it("times out a request that never completes (408) and closes idle connections on shutdown", async () => {
    const g = await makeHarness({ requestTimeoutMs: 200 });
    g.addKey({ accounts: ["ACC1"], roles: ["trader"] }, "k1", secret);
    await g.app.listen({ host: "127.0.0.1", port: 0 });
    const port = (g.app.server.address() as AddressInfo).port;
    const slow = await rawConnection(port);
    slow.socket.write("POST /v1/fix HTTP/1.1\r\nhost: gw\r\ncontent-len");
    await slow.waitFor(() => slow.closed());
    expect(slow.answers()).toEqual(["HTTP/1.1 408"]);
    // An idle keep-alive connection does not hold the shutdown up.
    const idle = await rawConnection(port);
    g.clock.now = Date.now();
    const body = nos({ ClOrdID: "idle-1" });
    const h = signedHeaders("k1", secret, "POST", "/v1/fix", body, g.clock.now);
    idle.socket.write(
      `POST /v1/fix HTTP/1.1\r\nhost: gw\r\ncontent-type: application/json\r\nfx-key: k1\r\nfx-timestamp: ${h["fx-timestamp"]}\r\nfx-signature: ${h["fx-signature"]}\r\ncontent-length: ${body.length}\r\n\r\n${body}`,
    );
    await idle.waitFor(() => idle.answers().length === 1);
    const t = Date.now();
    await g.app.close();
    expect(Date.now() - t).toBeLessThan(2_000);
    await idle.waitFor(() => idle.closed());
  });
});

describe("raw front under malformed bytes", () => {
  it("never crashes, never answers 5xx, and every connection ends (bounded fuzz of the head and framing)", async () => {
    const runs = Number(process.env.GATEWAY_FUZZ_RUNS ?? 200);
    const g = await makeHarness({ now: () => Date.now() });
    g.addKey({ accounts: ["ACC1"], roles: ["trader"] }, "k1", secret);
    await g.app.listen({ host: "127.0.0.1", port: 0 });
    const port = (g.app.server.address() as AddressInfo).port;
    const valid = (id: string) => {
      const body = nos({ ClOrdID: id });
      const h = signedHeaders("k1", secret, "POST", "/v1/fix", body, Date.now());
      return `POST /v1/fix HTTP/1.1\r\nhost: gw\r\ncontent-type: application/json\r\nfx-key: k1\r\nfx-timestamp: ${h["fx-timestamp"]}\r\nfx-signature: ${h["fx-signature"]}\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
    };
    const PIECES = [
      "\r\n",
      "\r",
      "\n",
      ":",
      " ",
      "\t",
      "\0",
      "é",
      "\x7f",
      "0",
      "-1",
      "99999999999",
      "POST ",
      "GET ",
      "HTTP/1.0",
      "transfer-encoding: chunked\r\n",
      "content-length: 5\r\n",
      "connection: close\r\n",
      "\r\n\r\n",
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.array(fc.tuple(fc.nat(), fc.nat({ max: 4 }), fc.constantFrom(...PIECES)), {
          minLength: 1,
          maxLength: 4,
        }),
        async (n, edits) => {
          let text = valid(`fz-${n}`) + (n % 3 === 0 ? valid(`fz-${n}-b`) : "");
          for (const [at, cut, piece] of edits) {
            const i = at % (text.length + 1);
            text = text.slice(0, i) + piece + text.slice(i + cut);
          }
          const c = await rawConnection(port);
          c.socket.end(Buffer.from(text, "latin1"));
          await c.waitFor(() => c.closed(), 5_000);
          for (const a of c.answers()) expect(Number(a.slice(9))).toBeLessThan(500);
        },
      ),
      { numRuns: runs },
    );
    // Still serving.
    const c = await rawConnection(port);
    c.socket.write(valid("fz-after"));
    await c.waitFor(() => c.answers().length === 1);
    expect(c.answers()).toEqual(["HTTP/1.1 200"]);
    c.socket.destroy();
    await g.app.close();
  });
});
