import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  formatUtcTimestamp,
  isUtcTimestamp,
  parseUtcTimestamp,
} from "../../src/fix/timestamp.ts";

// The dictionary's definition, as a regex and calendar check: isUtcTimestamp
// reads the characters itself (no match array per order) and must agree.
const RE = /^(\d{4})(\d{2})(\d{2})-(\d{2}):(\d{2}):(\d{2})(?:\.(\d{3}|\d{6}|\d{9}))?$/;
const oracle = (s: string): boolean => {
  const m = RE.exec(s);
  if (!m) return false;
  const [y, mo, d, h, mi, se] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (y < 1970 || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || se > 59) return false;
  return !(d > 28 && d > new Date(Date.UTC(y, mo, 0)).getUTCDate());
};

describe("UTCTimestamp", () => {
  it("accepts exactly what the dictionary's pattern and calendar accept", () => {
    const digit = fc.constantFrom(..."0123456789");
    const near = fc
      .tuple(
        fc.integer({ min: 1960, max: 2100 }),
        fc.integer({ min: 0, max: 13 }),
        fc.integer({ min: 0, max: 32 }),
        fc.integer({ min: 0, max: 24 }),
        fc.integer({ min: 0, max: 60 }),
        fc.integer({ min: 0, max: 60 }),
        fc.constantFrom("", ".", ".1", ".123", ".123456", ".123456789", ".12345", ".1234567890"),
      )
      .map(
        ([y, mo, d, h, mi, se, frac]) =>
          `${y}${String(mo).padStart(2, "0")}${String(d).padStart(2, "0")}-${String(h).padStart(2, "0")}:${String(mi).padStart(2, "0")}:${String(se).padStart(2, "0")}${frac}`,
      );
    // A valid shape with one character replaced (digits by non-digits, separators…).
    const mutated = fc
      .tuple(near, fc.nat(), fc.constantFrom("a", "-", ":", ".", " ", "٣", "0", "\u0000"))
      .map(([s, at, c]) => {
        const i = at % s.length;
        return s.slice(0, i) + c + s.slice(i + 1);
      });
    const noise = fc.stringMatching(/^[0-9:.-]{15,28}$/);
    fc.assert(
      fc.property(
        fc.oneof(
          near,
          mutated,
          noise,
          fc.string(),
          fc.array(digit).map((d) => d.join("")),
        ),
        (s) => {
          expect(isUtcTimestamp(s)).toBe(oracle(s));
        },
      ),
      { numRuns: 5_000 },
    );
    // parseUtcTimestamp reads the same characters: valid exactly when the
    // oracle says so, and then the oracle's instant to the nanosecond.
    fc.assert(
      fc.property(fc.oneof(near, mutated, noise), (s) => {
        const parsed = parseUtcTimestamp(s);
        expect(parsed !== null).toBe(oracle(s));
        if (parsed === null) return;
        const m = RE.exec(s)!;
        const [y, mo, d, h, mi, se] = m.slice(1, 7).map(Number) as number[];
        const ms = Date.UTC(y!, mo! - 1, d!, h!, mi!, se!);
        expect(parsed).toBe(BigInt(ms) * 1_000_000n + BigInt((m[7] ?? "").padEnd(9, "0")));
      }),
      { numRuns: 5_000 },
    );
    expect(isUtcTimestamp("20240229-23:59:59.999")).toBe(true);
    expect(isUtcTimestamp("20230229-00:00:00")).toBe(false);
    expect(isUtcTimestamp("20240101-10:00:00.000")).toBe(
      parseUtcTimestamp("20240101-10:00:00.000") !== null,
    );
  });

  it("formats ns as milliseconds when exact, else nanoseconds, and parses back", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 4_102_444_800_000_000_000n }),
        fc.boolean(),
        (n, whole) => {
          const ns = whole ? (n / 1_000_000n) * 1_000_000n : n;
          const text = formatUtcTimestamp(ns);
          const iso = new Date(Number(ns / 1_000_000n)).toISOString();
          const base = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}-${iso.slice(11, 19)}`;
          const nanos = (ns % 1_000_000_000n).toString().padStart(9, "0");
          expect(text).toBe(`${base}.${ns % 1_000_000n === 0n ? nanos.slice(0, 3) : nanos}`);
          expect(parseUtcTimestamp(text)).toBe(ns);
        },
      ),
      { numRuns: 5_000 },
    );
  });
});
