import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signedHeaders } from "../../src/auth/signing.ts";
import { decodeTagValue, validate } from "../../src/fix/index.ts";
import { type FixMessage, fixMessage } from "../../src/fix/message.ts";
import { makeHarness, nos, type TestKey } from "../support/harness.ts";

type H = Awaited<ReturnType<typeof makeHarness>>;
let h: H;
let trader: TestKey;
let trader2: TestKey;
let dashboard: TestKey;
let multi: TestKey;

beforeAll(async () => {
  h = await makeHarness({ bodyLimitBytes: 2048 });
  trader = h.addKey({ accounts: ["ACC1"], roles: ["trader"] });
  trader2 = h.addKey({ accounts: ["ACC2"], roles: ["trader"] });
  dashboard = h.addKey({ accounts: ["ACC1"], roles: ["dashboard"] });
  multi = h.addKey({ accounts: ["ACC1", "ACC2"], roles: ["trader"] });
});
afterAll(() => h.app.close());

const asFix = (json: Record<string, string>): FixMessage =>
  fixMessage(Object.entries(json).map(([k, v]) => ({ tag: Number(k) || 0, value: v })));

describe("order entry", () => {
  it("answers a FIX JSON NewOrderSingle with ExecutionReport New, rate-limit headers and a position", async () => {
    const res = await h.signed(trader, "POST", "/v1/fix", nos({ ClOrdID: "new-1" }));
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toMatch(/application\/json/);
    const er = res.json();
    expect(er).toMatchObject({
      MsgType: "8",
      ClOrdID: "new-1",
      ExecType: "0",
      OrdStatus: "0",
      Account: "ACC1",
      Side: "1",
      Price: "1.10000",
      OrderQty: "1000000",
      LeavesQty: "1000000",
      CumQty: "0",
      AvgPx: "0",
    });
    expect(res.headers["ratelimit-limit"]).toBeDefined();
    expect(Number(res.headers["ratelimit-remaining"])).toBeGreaterThan(0);
    expect(res.headers["fx-position"]).toBeDefined();
    void asFix;
  });

  it("speaks tag=value on application/fix, answering in the sender's delimiter, and the answer conforms to the dictionary", async () => {
    const body = "35=D|11=tv-1|1=ACC1|55=EURUSD|54=2|60=20260101-10:00:00|38=2000|40=2|44=1.2|";
    const res = await h.signed(trader, "POST", "/v1/fix", body, "application/fix");
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toMatch(/application\/fix/);
    const m = decodeTagValue(res.body);
    expect(m.ok).toBe(true);
    if (m.ok) {
      expect(validate(m.value, "out").ok).toBe(true);
      expect(res.body).toContain("35=8|");
      expect(res.body).toContain("11=tv-1|");
      expect(res.body).toContain("44=1.20000|");
    }
    const soh = body.replaceAll("|", "\x01").replace("tv-1", "tv-2");
    const res2 = await h.signed(trader, "POST", "/v1/fix", soh, "application/fix");
    expect(res2.statusCode).toBe(200);
    expect(res2.body).toContain("\x0135=8\x01".slice(1));
  });

  it("returns the original answer to a resent ClOrdID", async () => {
    const a = await h.signed(trader, "POST", "/v1/fix", nos({ ClOrdID: "idem-1" }));
    const b = await h.signed(trader, "POST", "/v1/fix", nos({ ClOrdID: "idem-1" }));
    expect(b.statusCode).toBe(a.statusCode);
    expect(b.json()).toEqual(a.json());
  });

  it("a business reject is an ExecutionReport 150=8 with 103, HTTP 422 ORDER_REJECTED", async () => {
    const res = await h.signed(
      trader,
      "POST",
      "/v1/fix",
      nos({ ClOrdID: "bad-sym", Symbol: "XXXYYY" }),
    );
    expect(res.statusCode).toBe(422);
    expect(res.headers["fx-error-code"]).toBe("ORDER_REJECTED");
    expect(res.json().error).toMatchObject({
      code: "ORDER_REJECTED",
      fix: { MsgType: "8", ExecType: "8", OrdStatus: "8", OrdRejReason: "1" },
    });
    const qty = await h.signed(
      trader,
      "POST",
      "/v1/fix",
      nos({ ClOrdID: "bad-qty", OrderQty: "1500.5" }),
    );
    expect(qty.json().error.fix).toMatchObject({ ExecType: "8", OrdRejReason: "13" });
  });

  it.each([
    [
      "bad enum",
      nos({ Side: "9" }),
      400,
      "VALUE_OUT_OF_RANGE",
      { MsgType: "3", SessionRejectReason: "5", RefTagID: "54" },
    ],
    [
      "required missing",
      nos({ Symbol: undefined }),
      400,
      "REQUIRED_TAG_MISSING",
      { MsgType: "3", SessionRejectReason: "1", RefTagID: "55" },
    ],
    [
      "unknown field",
      nos({ Colour: "red" }),
      400,
      "INVALID_TAG",
      { MsgType: "3", SessionRejectReason: "0" },
    ],
    [
      "disallowed field",
      nos({ StopPx: "1.2" }),
      400,
      "TAG_NOT_DEFINED_FOR_MESSAGE",
      { SessionRejectReason: "2", RefTagID: "99" },
    ],
    [
      "empty value",
      nos({ ClOrdID: "" }),
      400,
      "TAG_WITHOUT_VALUE",
      { SessionRejectReason: "4", RefTagID: "11" },
    ],
    [
      "bad format",
      nos({ OrderQty: "lots" }),
      400,
      "INCORRECT_DATA_FORMAT",
      { SessionRejectReason: "6", RefTagID: "38" },
    ],
    [
      "repeated tag",
      '{"MsgType":"D","Side":"1","Side":"1"}',
      400,
      "TAG_REPEATED",
      { SessionRejectReason: "13", RefTagID: "54" },
    ],
    [
      "unknown MsgType",
      '{"MsgType":"QQ"}',
      400,
      "INVALID_MSG_TYPE",
      { SessionRejectReason: "11", RefTagID: "35" },
    ],
    [
      "unsupported MsgType",
      '{"MsgType":"V"}',
      400,
      "UNSUPPORTED_MESSAGE_TYPE",
      { MsgType: "j", BusinessRejectReason: "3", RefMsgType: "V" },
    ],
    [
      "limit without price",
      nos({ Price: undefined }),
      422,
      "CONDITIONALLY_REQUIRED_FIELD_MISSING",
      { MsgType: "j", BusinessRejectReason: "5", RefMsgType: "D" },
    ],
    ["not JSON", "{oops", 400, "MALFORMED_MESSAGE", { MsgType: "3", SessionRejectReason: "99" }],
  ])("%s → %i %s with the matching FIX reject", async (_n, body, status, code, fix) => {
    const calls = h.orderEntry.calls;
    const res = await h.signed(trader, "POST", "/v1/fix", body);
    expect(res.statusCode).toBe(status);
    expect(res.headers["fx-error-code"]).toBe(code);
    const error = res.json().error;
    expect(error.code).toBe(code);
    expect(error.message.length).toBeGreaterThan(0);
    expect(error.fix).toMatchObject(fix);
    expect(error.fix.Text).toBe(error.message);
    expect(h.orderEntry.calls).toBe(calls); // nothing reached order entry
  });

  it("answers a tag=value reject in tag=value", async () => {
    const res = await h.signed(trader, "POST", "/v1/fix", "35=D|54=7|", "application/fix");
    expect(res.statusCode).toBe(400);
    expect(res.headers["fx-error-code"]).toBe("VALUE_OUT_OF_RANGE");
    expect(res.body).toMatch(/^35=3\|371=54\|372=D\|373=5\|58=.+\|$/);
  });
});

describe("authorisation and account scoping", () => {
  it("a trader can never act on another account", async () => {
    const calls = h.orderEntry.calls;
    for (const [msg, url] of [
      [nos({ ClOrdID: "x-1", Account: "ACC2" }), "/v1/fix"],
      [
        '{"MsgType":"F","OrigClOrdID":"c","ClOrdID":"x-2","Account":"ACC2","Symbol":"EURUSD","Side":"1","TransactTime":"20260101-10:00:00"}',
        "/v1/fix",
      ],
      [
        '{"MsgType":"H","ClOrdID":"new-1","Account":"ACC2","Symbol":"EURUSD","Side":"1"}',
        "/v1/fix",
      ],
    ] as const) {
      const res = await h.signed(trader, "POST", url, msg);
      expect(res.statusCode).toBe(403);
      expect(res.json().error).toMatchObject({
        code: "NOT_AUTHORIZED",
        fix: { MsgType: "j", BusinessRejectReason: "6" },
      });
    }
    const get = await h.signed(trader, "GET", "/v1/orders/new-1?account=ACC2");
    expect(get.statusCode).toBe(403);
    const ex = await h.signed(trader, "GET", "/v1/executions?account=ACC2");
    expect(ex.statusCode).toBe(403);
    expect(h.orderEntry.calls).toBe(calls);
  });

  it("another account's trader cannot see or cancel ACC1's order by ClOrdID", async () => {
    const res = await h.signed(trader2, "GET", "/v1/orders/new-1");
    expect(res.statusCode).toBe(404); // looked up in ACC2, where it does not exist
  });

  it("a dashboard key reads but cannot trade", async () => {
    const trade = await h.signed(dashboard, "POST", "/v1/fix", nos({ ClOrdID: "d-1" }));
    expect(trade.statusCode).toBe(403);
    const read = await h.signed(dashboard, "GET", "/v1/orders/new-1");
    expect(read.statusCode).toBe(200);
  });

  it("a key bound to several accounts must name one", async () => {
    const res = await h.signed(
      multi,
      "POST",
      "/v1/fix",
      nos({ ClOrdID: "m-1", Account: undefined }),
    );
    expect(res.statusCode).toBe(422);
    expect(res.json().error.fix).toMatchObject({ MsgType: "j", BusinessRejectReason: "5" });
    const ok = await h.signed(multi, "POST", "/v1/fix", nos({ ClOrdID: "m-2", Account: "ACC2" }));
    expect(ok.statusCode).toBe(200);
  });
});

describe("signatures", () => {
  const post = (headers: Record<string, string>, body = nos({ ClOrdID: "s-1" })) =>
    h.app.inject({
      method: "POST",
      url: "/v1/fix",
      headers: { ...headers, "content-type": "application/json" },
      payload: body,
    });

  it("refuses unsigned, mis-signed, skewed and replayed requests with distinct codes", async () => {
    expect((await post({})).json().error.code).toBe("MISSING_CREDENTIALS");
    const body = nos({ ClOrdID: "s-1" });
    h.clock.now += 1;
    const good = signedHeaders(trader.id, trader.secret, "POST", "/v1/fix", body, h.clock.now);
    const tampered = await post(good, body.replace("1000000", "9000000"));
    expect(tampered.statusCode).toBe(401);
    expect(tampered.json().error.code).toBe("BAD_SIGNATURE");
    expect((await post(good, body)).statusCode).toBe(200);
    const replay = await post(good, body);
    expect(replay.statusCode).toBe(401);
    expect(replay.json().error.code).toBe("REPLAYED_SIGNATURE");
    const skewed = signedHeaders(
      trader.id,
      trader.secret,
      "POST",
      "/v1/fix",
      body,
      h.clock.now - 6_000,
    );
    const res = await post(skewed, body);
    expect(res.statusCode).toBe(401);
    expect(res.json().error).toMatchObject({ code: "CLOCK_SKEW", serverTime: h.clock.now });
    const unknown = signedHeaders("nope", trader.secret, "POST", "/v1/fix", body, h.clock.now);
    expect((await post(unknown, body)).json().error.code).toBe("UNKNOWN_KEY");
  });

  it("answers 503 AUTH_UNAVAILABLE, not 500, when the key store is down", async () => {
    const local = await makeHarness({
      keys: {
        find: async () => {
          throw new Error("connect ECONNREFUSED 127.0.0.1:15432");
        },
      },
    });
    const k = local.addKey({ accounts: ["ACC1"], roles: ["trader"] });
    const res = await local.signed(k, "POST", "/v1/fix", nos({ ClOrdID: "ks-1" }));
    expect(res.statusCode).toBe(503);
    expect(res.headers["retry-after"]).toBe("1");
    expect(res.json().error.code).toBe("AUTH_UNAVAILABLE");
    expect(local.orderEntry.calls).toBe(0);
    await local.app.close();
  });

  it("serves time unsigned", async () => {
    const res = await h.app.inject({ method: "GET", url: "/v1/time" });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ serverTime: h.clock.now });
    expect(res.json().fix).toMatch(/^\d{8}-\d{2}:\d{2}:\d{2}\.\d{3}$/);
  });
});

describe("limits", () => {
  it("answers 413 for a body over the limit and 415 for other content types", async () => {
    const big = await h.signed(trader, "POST", "/v1/fix", nos({ Text: "x".repeat(3000) }));
    expect(big.statusCode).toBe(413);
    expect(big.json().error.code).toBe("PAYLOAD_TOO_LARGE");
    const txt = await h.signed(trader, "POST", "/v1/fix", "35=D|", "text/plain");
    expect(txt.statusCode).toBe(415);
    expect(txt.json().error.code).toBe("UNSUPPORTED_MEDIA_TYPE");
  });

  it("rate-limits order entry per key with 429, Retry-After and a 380=8 reject, leaving queries open", async () => {
    const local = await makeHarness({
      rateLimits: {
        perKey: { order: { ratePerSec: 1, burst: 2 }, query: { ratePerSec: 1, burst: 2 } },
        perAccount: {
          order: { ratePerSec: 100, burst: 100 },
          query: { ratePerSec: 100, burst: 100 },
        },
      },
    });
    const k = local.addKey({ accounts: ["ACC1"], roles: ["trader"] });
    expect((await local.signed(k, "POST", "/v1/fix", nos({ ClOrdID: "r1" }))).statusCode).toBe(200);
    expect((await local.signed(k, "POST", "/v1/fix", nos({ ClOrdID: "r2" }))).statusCode).toBe(200);
    const res = await local.signed(k, "POST", "/v1/fix", nos({ ClOrdID: "r3" }));
    expect(res.statusCode).toBe(429);
    expect(res.headers["retry-after"]).toBe("1");
    expect(res.headers["ratelimit-remaining"]).toBe("0");
    expect(res.json().error).toMatchObject({
      code: "RATE_LIMITED",
      fix: { MsgType: "j", BusinessRejectReason: "8", BusinessRejectRefID: "r3" },
    });
    expect((await local.signed(k, "GET", "/v1/orders/r1")).statusCode).toBe(200);
    local.clock.now += 1_000;
    expect((await local.signed(k, "POST", "/v1/fix", nos({ ClOrdID: "r3" }))).statusCode).toBe(200);
    await local.app.close();
  });
});

describe("recovery and upstream failures", () => {
  it("recovers a lost answer by ClOrdID as an OrderStatus report", async () => {
    const res = await h.signed(trader, "GET", "/v1/orders/new-1");
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      MsgType: "8",
      ClOrdID: "new-1",
      ExecType: "I",
      OrdStatus: "0",
    });
    const missing = await h.signed(trader, "GET", "/v1/orders/never");
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error).toMatchObject({
      code: "UNKNOWN_ORDER",
      fix: { MsgType: "j", BusinessRejectReason: "1" },
    });
    const h2 = await h.signed(
      trader,
      "POST",
      "/v1/fix",
      '{"MsgType":"H","ClOrdID":"new-1","Symbol":"EURUSD","Side":"1","OrdStatusReqID":"q1"}',
    );
    expect(h2.json()).toMatchObject({ ExecType: "I", OrdStatusReqID: "q1" });
  });

  it("a cancel of an unknown order is an OrderCancelReject 102=1 434=1", async () => {
    const res = await h.signed(
      trader,
      "POST",
      "/v1/fix",
      '{"MsgType":"F","OrigClOrdID":"ghost","ClOrdID":"cx-1","Symbol":"EURUSD","Side":"1","TransactTime":"20260101-10:00:00"}',
    );
    expect(res.statusCode).toBe(404);
    expect(res.json().error).toMatchObject({
      code: "UNKNOWN_ORDER",
      fix: { MsgType: "9", CxlRejReason: "1", CxlRejResponseTo: "1", OrigClOrdID: "ghost" },
    });
  });

  it("never hides a possibly committed order behind a definite failure", async () => {
    h.orderEntry.failNext({ kind: "unknown", reason: "timed out" });
    const res = await h.signed(trader, "POST", "/v1/fix", nos({ ClOrdID: "u-1" }));
    expect(res.statusCode).toBe(504);
    expect(res.json().error.code).toBe("OUTCOME_UNKNOWN");
    expect(res.json().error.fix).toBeUndefined();
    h.orderEntry.failNext({ kind: "unavailable", reason: "ECONNREFUSED" });
    const down = await h.signed(trader, "POST", "/v1/fix", nos({ ClOrdID: "u-2" }));
    expect(down.statusCode).toBe(503);
    expect(down.json().error).toMatchObject({
      code: "APPLICATION_NOT_AVAILABLE",
      fix: { MsgType: "j", BusinessRejectReason: "4" },
    });
    h.orderEntry.failNext(null);
  });

  it("an order-entry client that throws is an unknown outcome, never a 500", async () => {
    const boom = async (): Promise<never> => {
      throw new SyntaxError("Unexpected end of JSON input");
    };
    const local = await makeHarness({
      orderEntry: {
        place: boom,
        cancel: boom,
        replace: boom,
        status: boom,
        ready: async () => true,
      },
    });
    const k = local.addKey({ accounts: ["ACC1"], roles: ["trader"] });
    const res = await local.signed(k, "POST", "/v1/fix", nos({ ClOrdID: "t-1" }));
    expect(res.statusCode).toBe(504);
    expect(res.json().error.code).toBe("OUTCOME_UNKNOWN");
    await local.app.close();
  });
});

describe("service endpoints", () => {
  it("serves health, readiness, an OpenAPI 3 document and Swagger UI", async () => {
    expect((await h.app.inject({ url: "/healthz" })).statusCode).toBe(200);
    expect((await h.app.inject({ url: "/readyz" })).statusCode).toBe(200);
    const doc = (await h.app.inject({ url: "/openapi.json" })).json();
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        "/v1/fix",
        "/v1/orders/{clOrdId}",
        "/v1/executions",
        "/v1/executions/stream",
        "/v1/time",
      ]),
    );
    expect((await h.app.inject({ url: "/docs/" })).statusCode).toBe(200);
    const wrong = await h.app.inject({ method: "DELETE", url: "/v1/fix" });
    expect(wrong.statusCode).toBe(405);
    expect(wrong.headers.allow).toBe("POST");
    expect(wrong.json().error.code).toBe("METHOD_NOT_ALLOWED");
    const nf = await h.app.inject({ url: "/nope" });
    expect(nf.statusCode).toBe(404);
    expect(nf.json().error.code).toBe("NOT_FOUND");
  });
});
