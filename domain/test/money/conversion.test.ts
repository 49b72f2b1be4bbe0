import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  formatPrice,
  formatQty,
  formatRatio,
  formatScaled,
  type Instrument,
  lookupInstrument,
  parsePrice,
  parseQty,
  parseScaled,
  priceTicks,
  qty,
  REFERENCE_CATALOG,
} from "../../src/index.ts";

const get = (code: string): Instrument => {
  const r = lookupInstrument(REFERENCE_CATALOG, code);
  if (!r.ok) throw new Error(code);
  return r.value;
};
const EURUSD = get("EURUSD");
const USDJPY = get("USDJPY");
const EURGBP = get("EURGBP");

const reasonOf = <T, E extends { reason: string }>(
  r: { ok: true; value: T } | { ok: false; error: E },
) => (r.ok ? "OK" : r.error.reason);

describe("parsePrice", () => {
  it.each([
    ["1.10001", EURUSD, 110_001],
    ["1.1", EURUSD, 110_000],
    ["1.100000000", EURUSD, 110_000],
    ["0.00001", EURUSD, 1],
    ["151.234", USDJPY, 151_234],
    ["151", USDJPY, 151_000],
    ["0.85005", EURGBP, 85_005],
  ])("%s on %s is exact ticks", (input, instrument, ticks) => {
    expect(parsePrice(input, instrument)).toEqual({ ok: true, value: ticks });
  });

  it.each([
    ["", "MALFORMED"],
    ["abc", "MALFORMED"],
    ["1,1", "MALFORMED"],
    ["1.", "MALFORMED"],
    [".5", "MALFORMED"],
    [" 1.1", "MALFORMED"],
    ["1.1 ", "MALFORMED"],
    ["+1.1", "MALFORMED"],
    ["1e5", "MALFORMED"],
    ["NaN", "MALFORMED"],
    ["Infinity", "MALFORMED"],
    ["0x10", "MALFORMED"],
    ["1.1.1", "MALFORMED"],
    ["１.１", "MALFORMED"],
    ["0", "NOT_POSITIVE"],
    ["0.00000", "NOT_POSITIVE"],
    ["-1.1", "NOT_POSITIVE"],
    ["-0", "NOT_POSITIVE"],
    ["1.100001", "TOO_MANY_DECIMALS"],
    ["0.000001", "TOO_MANY_DECIMALS"],
    ["90071992547.40992", "BEYOND_SAFE_INTEGER"],
    ["99999999999999999999999999", "BEYOND_SAFE_INTEGER"],
    ["9".repeat(65), "MALFORMED"],
  ])("%j is rejected as %s", (input, reason) => {
    expect(reasonOf(parsePrice(input, EURUSD))).toBe(reason);
  });

  it("2^53 - 1 ticks is the largest price", () => {
    expect(parsePrice("90071992547.40991", EURUSD)).toEqual({
      ok: true,
      value: Number.MAX_SAFE_INTEGER,
    });
  });

  it("rejects an off-tick price with the tick in the text", () => {
    const r = parsePrice("0.85003", EURGBP);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.reason).toBe("OFF_TICK");
      expect(r.error.text).toContain("0.00005");
    }
  });

  it("JPY prices have three decimals", () => {
    expect(reasonOf(parsePrice("151.2345", USDJPY))).toBe("TOO_MANY_DECIMALS");
  });
});

describe("parseQty", () => {
  it.each([
    ["1000", 1_000],
    ["1000000", 1_000_000],
    ["1000000.000", 1_000_000],
    ["50000000", 50_000_000],
  ])("%s units", (input, units) => {
    expect(parseQty(input, EURUSD)).toEqual({ ok: true, value: units });
  });

  it.each([
    ["1000.5", "TOO_MANY_DECIMALS"],
    ["1500", "OFF_LOT"],
    ["0", "NOT_POSITIVE"],
    ["-1000", "NOT_POSITIVE"],
    ["50001000", "ABOVE_MAX"],
    ["9007199254740992", "BEYOND_SAFE_INTEGER"],
    ["1 000", "MALFORMED"],
    ["1e6", "MALFORMED"],
  ])("%j is rejected as %s", (input, reason) => {
    expect(reasonOf(parseQty(input, EURUSD))).toBe(reason);
  });

  it("below the minimum", () => {
    const small: Instrument = { ...EURUSD, lotSize: qty(100) };
    expect(reasonOf(parseQty("500", small))).toBe("BELOW_MIN");
  });
});

describe("formatting", () => {
  it("prints prices with the full scale", () => {
    expect(formatPrice(priceTicks(110_000), EURUSD)).toBe("1.10000");
    expect(formatPrice(priceTicks(1), EURUSD)).toBe("0.00001");
    expect(formatPrice(priceTicks(151_234), USDJPY)).toBe("151.234");
    expect(formatQty(qty(1_000_000))).toBe("1000000");
    expect(formatScaled(-5n, 3)).toBe("-0.005");
  });

  it("ratios are exact when they terminate and rounded half-even otherwise", () => {
    expect(formatRatio(3n, 2n, 0, 4)).toEqual({ text: "1.5", exact: true });
    expect(formatRatio(1n, 3n, 0, 4)).toEqual({ text: "0.3333", exact: false });
    expect(formatRatio(2n, 3n, 0, 4)).toEqual({ text: "0.6667", exact: false });
    expect(formatRatio(5n, 100_000n, 0, 4)).toEqual({ text: "0", exact: false }); // 0.00005 → half-even 0.0000
    expect(formatRatio(15n, 100_000n, 2, 4)).toEqual({ text: "0.0002", exact: false }); // 0.00015 → 0.0002
    expect(formatRatio(110_000n, 100_000n, 5, 9)).toEqual({ text: "1.10000", exact: true });
  });
});

describe("properties", { timeout: 30_000 }, () => {
  const scale = fc.integer({ min: 0, max: 8 });

  it("format(parse(x)) is x in canonical form, parse(format(n)) is n", () => {
    fc.assert(
      fc.property(scale, fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), (s, n) => {
        const text = formatScaled(n, s);
        expect(parseScaled(text, s)).toEqual({ ok: true, value: n });
        // Trailing zeros and leading zeros do not change the value.
        const padded = `00${text}${s > 0 ? "000" : ""}`;
        const reparsed = parseScaled(padded, s);
        expect(reparsed).toEqual({ ok: true, value: n });
        if (reparsed.ok) expect(formatScaled(reparsed.value, s)).toBe(text);
      }),
    );
  });

  it("price round trip on every reference instrument, on tick", () => {
    const instrument = fc.constantFrom(...REFERENCE_CATALOG.values());
    fc.assert(
      fc.property(instrument, fc.integer({ min: 1, max: 10_000_000 }), (inst, k) => {
        const ticks = priceTicks(k * inst.tickSize);
        expect(parsePrice(formatPrice(ticks, inst), inst)).toEqual({ ok: true, value: ticks });
      }),
    );
  });

  it("equals the decimal value exactly (checked against BigInt arithmetic on digits)", () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[1-9]\d{0,8}$/),
        fc.stringMatching(/^\d{0,5}$/),
        (whole, frac) => {
          const input = frac.length > 0 ? `${whole}.${frac}` : whole;
          const expected = BigInt(whole) * 100_000n + BigInt(frac.padEnd(5, "0") || "0");
          const r = parseScaled(input, 5);
          expect(r.ok && BigInt(r.value) === expected).toBe(true);
        },
      ),
    );
  });

  it("random strings never throw and are either valid or rejected with a reason and text", () => {
    const junk = fc.oneof(
      fc.string(),
      fc.string({ unit: fc.constantFrom(..."0123456789.-+eE ,_x") }),
      fc.string({ unit: "grapheme" }),
    );
    fc.assert(
      fc.property(junk, (s) => {
        for (const r of [parsePrice(s, EURUSD), parseQty(s, EURUSD), parsePrice(s, EURGBP)]) {
          if (r.ok) {
            expect(Number.isSafeInteger(r.value) && r.value > 0).toBe(true);
            expect(s).toMatch(/^\d+(\.\d+)?$/);
          } else {
            expect(r.error.reason).toMatch(/^[A-Z_]+$/);
            expect(r.error.text.length).toBeGreaterThan(0);
          }
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("a valid number with any foreign character inserted is always MALFORMED", () => {
    const foreign = fc
      .string({ minLength: 1, maxLength: 1, unit: "grapheme" })
      .filter((ch) => !/^[0-9.-]$/.test(ch));
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000_000 }), foreign, fc.nat(), (k, ch, at) => {
        const valid = formatScaled(k, 5);
        const i = at % (valid.length + 1);
        const bad = valid.slice(0, i) + ch + valid.slice(i);
        expect(reasonOf(parsePrice(bad, EURUSD))).toBe("MALFORMED");
        expect(reasonOf(parseQty(bad, EURUSD))).toBe("MALFORMED");
      }),
      { numRuns: 1000 },
    );
  });

  it("too many significant decimals are always rejected, never rounded", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 99_999 }),
        fc.integer({ min: 1, max: 9 }),
        (k, extra) => {
          const text = `${formatScaled(k, 5)}${extra}`;
          expect(reasonOf(parsePrice(text, EURUSD))).toBe("TOO_MANY_DECIMALS");
        },
      ),
    );
  });
});
