// The command-service client against real sockets (ephemeral ports): which
// failures are definite ("unavailable", "invalid") and which are not
// ("unknown"), and how answers become FIX.

import http from "node:http";
import type { AddressInfo } from "node:net";
import { REFERENCE_CATALOG } from "@fxcore/domain";
import { afterEach, describe, expect, it } from "vitest";
import { encodeFixJson } from "../../src/fix/json.ts";
import { commandServiceClient } from "../../src/upstream/command-client.ts";

const caller = { keyId: "k1", accounts: ["ACC1"], roles: ["trader" as const] };
const place = {
  type: "PlaceOrder" as const,
  clOrdId: "c1" as never,
  account: "ACC1" as never,
  symbol: "EURUSD",
  side: "BUY" as const,
  ordType: "LIMIT" as const,
  price: "1.10000",
  orderQty: "1000000",
  tif: "GTC" as const,
  expireTime: null,
  minQty: null,
  postOnly: false,
};

const servers: http.Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    s.close();
  }
});
const serve = async (handler: http.RequestListener) => {
  const s = http.createServer(handler);
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
};
// One call per order here; batches (ADR 066) have their own tests.
const client = (baseUrl: string, timeoutMs = 2_000) =>
  commandServiceClient({ baseUrl, catalog: REFERENCE_CATALOG, timeoutMs, batchMax: 0 });

const report = {
  msgType: "8",
  orderId: "O1",
  clOrdId: "c1",
  origClOrdId: null,
  execId: null,
  execType: "0",
  ordStatus: "0",
  account: "ACC1",
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
  leavesQty: 1000000,
  avgPx: { tradedNotional: "0", cumQty: 0 },
  ordRejReason: null,
  text: null,
  transactTime: "1790000000123000000",
};

describe("command-service client", () => {
  it("sends the command with the caller's identity and renders the answer as FIX", async () => {
    let seen: { url?: string; headers?: http.IncomingHttpHeaders; body?: string } = {};
    const url = await serve((req, res) => {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        seen = { url: req.url!, headers: req.headers, body };
        res
          .writeHead(200, { "content-type": "application/json" })
          .end(JSON.stringify({ report, position: "42", orderId: "O1", resent: false }));
      });
    });
    const out = await client(url).place(place, caller);
    expect(seen.url).toBe("/orders");
    expect(seen.headers?.["x-fxcore-accounts"]).toBe("ACC1");
    expect(seen.headers?.["x-fxcore-roles"]).toBe("trader");
    expect(JSON.parse(seen.body!)).toEqual({
      clOrdId: "c1",
      account: "ACC1",
      symbol: "EURUSD",
      side: "BUY",
      ordType: "LIMIT",
      price: "1.10000",
      orderQty: "1000000",
      timeInForce: "GTC",
    });
    expect(out.kind).toBe("answer");
    if (out.kind === "answer") {
      expect(out.answer.position).toBe("42");
      expect(JSON.parse(encodeFixJson(out.answer.report))).toMatchObject({
        MsgType: "8",
        OrderID: "O1",
        Price: "1.10000",
        LeavesQty: "1000000",
        TransactTime: "20260921-14:13:20.123",
      });
    }
  });

  it("a refused connection is definitely not applied", async () => {
    const url = await serve(() => {});
    servers.pop()!.close();
    await new Promise((r) => setTimeout(r, 50));
    expect((await client(url).place(place, caller)).kind).toBe("unavailable");
  });

  it("a timeout after sending is an unknown outcome", async () => {
    const url = await serve(() => {}); // reads the request, never answers
    const out = await client(url, 300).place(place, caller);
    expect(out).toMatchObject({ kind: "unknown" });
  });

  it.each([
    [500, "INTERNAL", "unknown"],
    [503, "STORE_UNAVAILABLE", "unavailable"],
    [400, "INVALID_REQUEST", "invalid"],
    [403, "ACCOUNT_NOT_AUTHORISED", "invalid"],
  ])("HTTP %i %s → %s", async (status, code, kind) => {
    const url = await serve((_req, res) =>
      res
        .writeHead(status, { "content-type": "application/json" })
        .end(JSON.stringify({ error: { code, message: "x" } })),
    );
    expect((await client(url).place(place, caller)).kind).toBe(kind);
  });

  it("status of an unknown ClOrdID is not-found", async () => {
    const url = await serve((req, res) => {
      expect(req.url).toBe("/orders/ACC1/c%2F1");
      res.writeHead(404).end(JSON.stringify({ error: { code: "UNKNOWN_ORDER", message: "no" } }));
    });
    expect((await client(url).status({ account: "ACC1", clOrdId: "c/1" }, caller)).kind).toBe(
      "not-found",
    );
  });
});
