import { describe, expect, it } from "vitest";
import {
  displayName,
  lookupInstrument,
  REFERENCE_CATALOG,
  REFERENCE_INSTRUMENTS,
} from "../../src/index.ts";

describe("reference data", () => {
  it("lists the eight required pairs, enabled, with display names", () => {
    for (const code of [
      "EURUSD",
      "GBPUSD",
      "USDJPY",
      "USDCHF",
      "AUDUSD",
      "USDCAD",
      "NZDUSD",
      "EURGBP",
    ]) {
      const r = lookupInstrument(REFERENCE_CATALOG, code);
      expect(r.ok, code).toBe(true);
      if (r.ok) {
        expect(r.value.enabled).toBe(true);
        expect(displayName(r.value)).toBe(`${code.slice(0, 3)}/${code.slice(3)}`);
      }
    }
  });

  it("JPY pairs have 3 decimals, the others 5", () => {
    for (const i of REFERENCE_INSTRUMENTS) {
      expect(i.priceScale, i.symbol).toBe(i.quote === "JPY" ? 3 : 5);
    }
  });

  it("every instrument is internally consistent", () => {
    for (const i of REFERENCE_INSTRUMENTS) {
      expect(i.symbol).toBe(i.base + i.quote);
      expect(Number.isSafeInteger(i.tickSize) && i.tickSize > 0).toBe(true);
      expect(i.minQty % i.lotSize).toBe(0);
      expect(i.maxQty % i.lotSize).toBe(0);
      expect(i.minQty).toBeLessThanOrEqual(i.maxQty);
      expect(i.marketCollarTicks % i.tickSize).toBe(0);
      // Notional of the largest order at a price 2^53 / maxQty still fits a safe integer.
      expect(Number.isSafeInteger(i.maxQty * 100_000_000)).toBe(true);
    }
    expect(new Set(REFERENCE_INSTRUMENTS.map((i) => i.symbol)).size).toBe(
      REFERENCE_INSTRUMENTS.length,
    );
  });

  it("an unknown symbol is a typed error, not an exception", () => {
    expect(lookupInstrument(REFERENCE_CATALOG, "EUR/USD")).toMatchObject({
      ok: false,
      error: { reason: "UNKNOWN_SYMBOL", symbol: "EUR/USD" },
    });
    expect(lookupInstrument(REFERENCE_CATALOG, "eurusd").ok).toBe(false);
    expect(lookupInstrument(REFERENCE_CATALOG, "").ok).toBe(false);
  });

  it("a halted pair is found, and says it is disabled", () => {
    expect(lookupInstrument(REFERENCE_CATALOG, "USDTRY")).toMatchObject({
      ok: true,
      value: { enabled: false },
    });
  });
});
