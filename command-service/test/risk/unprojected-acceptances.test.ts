import { priceTicks } from "@fxcore/domain";
import { describe, expect, it } from "vitest";
import {
  type Acceptance,
  acceptanceOfAnswer,
  unprojectedExposure,
} from "../../src/risk/unprojected-acceptances.ts";

const answer = (report: Record<string, unknown>) => JSON.stringify({ report, orderId: "o1" });

describe("an unprojected acceptance read from its stored answer", () => {
  it("given a stored ExecutionReport New, then account, pair, type, price ticks and quantity", () => {
    const r = acceptanceOfAnswer(
      answer({
        account: "A",
        symbol: "EURUSD",
        ordType: "LIMIT",
        price: 110000,
        orderQty: 1000000,
      }),
    );
    expect(r).toEqual({
      ok: true,
      value: { account: "A", symbol: "EURUSD", ordType: "LIMIT", price: 110000, qty: 1_000_000 },
    });
  });

  it("given malformed stored answers, then a typed reason, never a throw", () => {
    expect(acceptanceOfAnswer("{not json")).toEqual({
      ok: false,
      reason: "stored answer is not JSON",
    });
    expect(acceptanceOfAnswer("null")).toMatchObject({ ok: false });
    expect(acceptanceOfAnswer(JSON.stringify({ report: null }))).toMatchObject({ ok: false });
    expect(acceptanceOfAnswer(answer({ account: "A", symbol: "EURUSD", price: 1 }))).toMatchObject({
      ok: false,
    });
    expect(
      acceptanceOfAnswer(answer({ account: "A", symbol: "EURUSD", price: "1.1", orderQty: 1 })),
    ).toMatchObject({ ok: false, reason: "stored report price" });
  });
});

describe("exposure of unprojected acceptances", () => {
  const a = (o: Partial<Acceptance>): Acceptance => ({
    account: "A",
    symbol: "EURUSD",
    ordType: "LIMIT",
    price: 110000,
    qty: 1_000_000,
    ...o,
  });

  it("given limit orders, then Σ price × qty per account and pair, exact", () => {
    const m = unprojectedExposure(
      [
        a({}),
        a({ price: 109999, qty: 3 }),
        a({ account: "B" }),
        a({ symbol: "USDJPY", price: 150000 }),
      ],
      () => undefined,
    );
    expect(m).toEqual(
      new Map([
        ["A/EURUSD", 110_000_000_000n + 329_997n],
        ["B/EURUSD", 110_000_000_000n],
        ["A/USDJPY", 150_000_000_000n],
      ]),
    );
  });

  it("given a MARKET order, then it is valued at the reference price, or skipped without one", () => {
    const mkt = a({ ordType: "MARKET", price: null, qty: 2 });
    expect(unprojectedExposure([mkt], () => priceTicks(110005))).toEqual(
      new Map([["A/EURUSD", 220010n]]),
    );
    expect(unprojectedExposure([mkt], () => undefined)).toEqual(new Map());
  });
});
