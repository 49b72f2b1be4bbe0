import { describe, expect, it } from "vitest";
import {
  checkPreTrade,
  lookupInstrument,
  notional,
  priceTicks,
  qty,
  REFERENCE_CATALOG,
  type RiskOrder,
} from "../../src/index.ts";
import { HALTED, profile, riskContext } from "../support/fixtures.ts";

const EURUSD = (() => {
  const r = lookupInstrument(REFERENCE_CATALOG, "EURUSD");
  if (!r.ok) throw new Error("EURUSD");
  return r.value;
})();

const order = (over: Partial<RiskOrder> = {}): RiskOrder => ({
  instrument: EURUSD,
  side: "BUY",
  ordType: "LIMIT",
  price: priceTicks(110_000),
  qty: qty(1_000_000),
  ...over,
});

const ruleOf = (r: ReturnType<typeof checkPreTrade>) => (r.ok ? "OK" : r.error.rule);

describe("pre-trade risk", () => {
  it("passes an order within every limit", () => {
    expect(checkPreTrade(order(), riskContext())).toEqual({ ok: true, value: undefined });
  });

  it("instrument disabled", () => {
    expect(ruleOf(checkPreTrade(order({ instrument: HALTED }), riskContext()))).toBe(
      "INSTRUMENT_DISABLED",
    );
  });

  it("unknown and disabled accounts", () => {
    expect(ruleOf(checkPreTrade(order(), riskContext({ profile: null })))).toBe("ACCOUNT_UNKNOWN");
    expect(
      ruleOf(checkPreTrade(order(), riskContext({ profile: profile({ enabled: false }) }))),
    ).toBe("ACCOUNT_DISABLED");
  });

  it("max order quantity is inclusive", () => {
    const ctx = riskContext({ profile: profile({ maxOrderQty: qty(1_000_000) }) });
    expect(ruleOf(checkPreTrade(order({ qty: qty(1_000_000) }), ctx))).toBe("OK");
    expect(ruleOf(checkPreTrade(order({ qty: qty(1_001_000) }), ctx))).toBe("MAX_ORDER_QTY");
  });

  it("max notional compares exactly: 1,000,000 at 1.10000 is 1,100,000 USD", () => {
    const at = (limit: bigint) =>
      ruleOf(checkPreTrade(order(), riskContext({ profile: profile({ maxNotional: limit }) })));
    expect(at(1_100_000n)).toBe("OK");
    expect(at(1_099_999n)).toBe("MAX_NOTIONAL");
  });

  it("a MARKET order is valued at the reference price, and skipped without one", () => {
    const ctx = (ref: number | null) =>
      riskContext({
        referencePrice: ref === null ? null : priceTicks(ref),
        profile: profile({ maxNotional: 1_000_000n }),
      });
    const market = order({ ordType: "MARKET", price: null });
    expect(ruleOf(checkPreTrade(market, ctx(110_000)))).toBe("MAX_NOTIONAL");
    expect(ruleOf(checkPreTrade(market, ctx(90_000)))).toBe("OK");
    expect(ruleOf(checkPreTrade(market, ctx(null)))).toBe("OK");
  });

  it("price band around the reference price, both directions, inclusive", () => {
    const band = EURUSD.priceBandTicks!;
    const at = (p: number) => ruleOf(checkPreTrade(order({ price: priceTicks(p) }), riskContext()));
    expect(at(110_000 + band)).toBe("OK");
    expect(at(110_000 - band)).toBe("OK");
    expect(at(110_000 + band + 1)).toBe("PRICE_BAND");
    expect(at(110_000 - band - 1)).toBe("PRICE_BAND");
    expect(
      ruleOf(
        checkPreTrade(order({ price: priceTicks(200_000) }), riskContext({ referencePrice: null })),
      ),
    ).toBe("OK");
  });

  it("credit limit counts open exposure plus this order", () => {
    const limit = profile({ creditLimit: 2_000_000n });
    const open = (units: number) =>
      riskContext({ profile: limit, openExposure: notional(priceTicks(100_000), qty(units)) });
    expect(ruleOf(checkPreTrade(order(), open(900_000)))).toBe("OK"); // 900,000 + 1,100,000 = 2,000,000
    expect(ruleOf(checkPreTrade(order(), open(901_000)))).toBe("CREDIT_LIMIT");
  });

  it("explains each violation in text", () => {
    const r = checkPreTrade(order(), riskContext({ profile: profile({ maxNotional: 1n }) }));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.text).toContain("1100000.00000 USD");
  });
});
