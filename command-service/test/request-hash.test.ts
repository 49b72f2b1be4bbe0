import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { requestHash } from "../src/index.ts";

describe("requestHash (resend detection)", () => {
  const body = {
    clOrdId: "c1",
    account: "A",
    symbol: "EURUSD",
    side: "BUY",
    orderQty: "1000",
    price: "1.1",
  };
  it("ignores key order", () => {
    const reordered = {
      price: "1.1",
      orderQty: "1000",
      side: "BUY",
      symbol: "EURUSD",
      account: "A",
      clOrdId: "c1",
    };
    expect(requestHash("PLACE", reordered)).toBe(requestHash("PLACE", body));
  });
  it("changes with any value, and with the kind of request", () => {
    expect(requestHash("PLACE", { ...body, price: "1.10" })).not.toBe(requestHash("PLACE", body));
    expect(requestHash("PLACE", { ...body, postOnly: false })).not.toBe(requestHash("PLACE", body));
    expect(requestHash("CANCEL", body)).not.toBe(requestHash("PLACE", body));
  });
});

describe("requestHash compatibility", () => {
  // Hashes stored by earlier releases must still match a resend.
  const before = (kind: string, body: object): string => {
    const canonical = (v: unknown): unknown =>
      v !== null && typeof v === "object" && !Array.isArray(v)
        ? Object.fromEntries(
            Object.keys(v as Record<string, unknown>)
              .sort()
              .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
          )
        : v;
    return createHash("sha256")
      .update(kind)
      .update(JSON.stringify(canonical(body)))
      .digest("base64url");
  };
  it("equals the previous sha256 of kind + JSON.stringify(sorted body)", () => {
    const bodies: object[] = [
      { clOrdId: "c1", account: "A", symbol: "EURUSD", side: "BUY", orderQty: "1000" },
      { b: 'quote " and \\ backslash', a: "ünïcödé", postOnly: true, n: 3, z: null },
      { skipped: undefined, kept: "x" },
      { c: "tab\there\u0000 del\u007f", s: "lone \ud800 surrogate", e: "", sp: " ~!#[]" },
      { nested: { y: 1, x: [2, { b: 1, a: 0 }] }, a: "1" },
      {},
    ];
    for (const body of bodies)
      for (const kind of ["PLACE", "CANCEL"])
        expect(requestHash(kind, body)).toBe(before(kind, body));
  });

  it("matches it for flat bodies in any key order, one after another (the sorted-keys cache)", () => {
    const flat = fc.dictionary(
      fc.constantFrom("clOrdId", "account", "symbol", "side", "price", "orderQty", "tif", "b", "a"),
      fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null)),
    );
    fc.assert(
      fc.property(fc.array(flat, { minLength: 1, maxLength: 6 }), (bodies) => {
        // Each body twice in a row, then reversed key order: the cache must never answer for another key set.
        for (const body of bodies) {
          const reversed = Object.fromEntries(Object.entries(body).reverse());
          for (const b of [body, body, reversed])
            expect(requestHash("PLACE", b)).toBe(before("PLACE", b));
        }
      }),
    );
  });
});
