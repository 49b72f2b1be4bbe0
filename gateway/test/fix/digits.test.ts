import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decimalDigits } from "../../src/fix/digits.ts";

describe("decimalDigits", () => {
  it("is String(n) for every non-negative safe integer", () => {
    fc.assert(
      fc.property(fc.maxSafeNat(), (n) => {
        expect(decimalDigits(n)).toBe(String(n));
      }),
      { numRuns: 20_000 },
    );
  });

  it("is String(n) at the edges of each digit count", () => {
    for (let p = 1; p <= Number.MAX_SAFE_INTEGER; p *= 10)
      for (const n of [p - 1, p, p + 1, 2 * p - 1]) expect(decimalDigits(n)).toBe(String(n));
    for (const n of [0, 9, 10, 99, 100, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER - 1])
      expect(decimalDigits(n)).toBe(String(n));
  });
});
