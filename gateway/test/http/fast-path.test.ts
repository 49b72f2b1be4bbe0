// POST /v1/fix is answered straight from node:http (ADR 067), everything else
// by Fastify. The two must be indistinguishable: the same requests sent to two
// identical gateways — one through Fastify (inject), one over a real socket —
// get the same status, headers and body. Requests the fast path must leave to
// Fastify (too large, chunked, other content types) are checked to reach it.

import http from "node:http";
import type { AddressInfo } from "node:net";
import { createMetricsRegistry } from "@fxcore/infra";
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
const viaSocket = await setup();
const fastifySaw: string[] = [];
viaSocket.h.app.addHook("onRequest", (req, _reply, done) => {
  fastifySaw.push(`${req.method} ${req.url}`);
  done();
});
await viaSocket.h.app.listen({ host: "127.0.0.1", port: 0 });
const port = (viaSocket.h.app.server.address() as AddressInfo).port;
afterAll(async () => {
  await viaSocket.h.app.close();
  await viaInject.h.app.close();
});

const secret = Buffer.alloc(32, 7);
for (const s of [viaInject, viaSocket]) {
  s.h.addKey({ accounts: ["ACC1"], roles: ["trader"] }, "k1", secret);
  s.h.addKey({ accounts: ["ACC2"], roles: ["trader"] }, "k2", secret);
}

const overSocket = (
  method: string,
  path: string,
  headers: Record<string, string>,
  body: string | null,
  chunked = false,
): Promise<Reply> =>
  new Promise((resolve, reject) => {
    const req = http.request(
      { host: "127.0.0.1", port, method, path, headers, agent: false },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c) => (text += c));
        res.on("end", () =>
          resolve({ status: res.statusCode!, headers: answerHeaders(res.headers), body: text }),
        );
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

/** The same request to both gateways; both answers. */
const both = async (
  o: {
    body: string;
    contentType?: string;
    keyId?: string;
    sign?: boolean;
    signature?: string;
    skewMs?: number;
    chunked?: boolean;
    method?: string;
  },
  clockStep = 1,
) => {
  for (const s of [viaInject, viaSocket]) s.h.clock.now += clockStep;
  const now = viaInject.h.clock.now;
  const method = o.method ?? "POST";
  const headers: Record<string, string> = {
    "content-type": o.contentType ?? "application/json",
    ...(o.sign === false
      ? {}
      : signedHeaders(o.keyId ?? "k1", secret, method, "/v1/fix", o.body, now + (o.skewMs ?? 0))),
    ...(o.signature ? { "fx-signature": o.signature } : {}),
  };
  if (!o.chunked) headers["content-length"] = String(Buffer.byteLength(o.body));
  const injected = await viaInject.h.app.inject({
    method: method as "POST",
    url: "/v1/fix",
    headers,
    payload: o.body,
  });
  const socket = await overSocket(method, "/v1/fix", headers, o.body, o.chunked);
  return {
    injected: {
      status: injected.statusCode,
      headers: answerHeaders(injected.headers as Record<string, string>),
      body: injected.body,
    },
    socket,
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
  ])("%s: same answer over the socket as through Fastify", async (what, req) => {
    const { injected, socket } = await both(req);
    expect(socket).toEqual(injected);
    expect(socket.status).toBe(EXPECTED_STATUS[what]);
  });

  it("answers a replayed signature the same way", async () => {
    viaInject.h.clock.now += 1;
    viaSocket.h.clock.now += 1;
    const body = nos({ ClOrdID: "fp-replay" });
    const headers = {
      "content-type": "application/json",
      "content-length": String(body.length),
      ...signedHeaders("k1", secret, "POST", "/v1/fix", body, viaSocket.h.clock.now),
    };
    const first = await overSocket("POST", "/v1/fix", headers, body);
    const again = await overSocket("POST", "/v1/fix", headers, body);
    expect(first.status).toBe(200);
    expect(again.status).toBe(401);
    expect(again.headers["fx-error-code"]).toBe("REPLAYED_SIGNATURE");
    const injected = [
      await viaInject.h.app.inject({ method: "POST", url: "/v1/fix", headers, payload: body }),
      await viaInject.h.app.inject({ method: "POST", url: "/v1/fix", headers, payload: body }),
    ];
    expect(again.body).toBe(injected[1]!.body);
  });

  it("throttles the same way (429 with Retry-After)", async () => {
    let last: Awaited<ReturnType<typeof both>> | null = null;
    for (let i = 0; i < 14; i++) last = await both({ body: nos({ ClOrdID: `fp-rl-${i}` }) }, 0);
    expect(last!.socket.status).toBe(429);
    expect(last!.socket).toEqual(last!.injected);
  });

  it("handles the hot requests itself and leaves the unusual ones to Fastify", () => {
    // Fastify saw only what the fast path must not take.
    expect(fastifySaw).toEqual([
      "POST /v1/fix", // over the limit
      "POST /v1/fix", // text/plain
      "POST /v1/fix", // charset
      "POST /v1/fix", // chunked
      "POST /v1/fix", // empty
    ]);
  });

  it("counts its requests in the metrics", async () => {
    const text = await viaSocket.metrics.metrics();
    expect(text).toMatch(
      /gateway_requests_total\{[^}]*route="\/v1\/fix",status="200",code=""[^}]*\} [1-9]/,
    );
    expect(text).toMatch(
      /gateway_requests_total\{[^}]*route="\/v1\/fix",status="401",code="BAD_SIGNATURE"/,
    );
  });

  it("survives a client that leaves in the middle of a body", async () => {
    const net = await import("node:net");
    await new Promise<void>((resolve) => {
      const s = net.connect(port, "127.0.0.1", () => {
        s.write(
          'POST /v1/fix HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"Ms',
        );
        setTimeout(() => {
          s.destroy();
          resolve();
        }, 20);
      });
    });
    await new Promise((r) => setTimeout(r, 20));
    const { socket } = await both({ body: nos({ ClOrdID: "fp-after" }) }, 1_000);
    expect(socket.status).toBe(200);
  });

  it("other methods and paths are Fastify's", async () => {
    const before = fastifySaw.length;
    const get = await overSocket("GET", "/v1/fix", {}, null);
    expect(get.status).toBe(405);
    const query = await overSocket(
      "POST",
      "/v1/fix?x=1",
      { "content-type": "application/json" },
      "{}",
    );
    expect(query.status).toBe(401);
    expect(fastifySaw.length).toBe(before + 2);
  });
});
