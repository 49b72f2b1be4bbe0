import { describe, expect, it } from "vitest";
import { parseAsOf, parseInstant, parsePair, parseSeq } from "../src/index.ts";

describe("argument parsing", () => {
  it("reads instants as ns: ISO-8601 with zone and up to 9 decimals, or digits", () => {
    expect(parseInstant("2026-11-23T14:00:00.123456789Z")).toEqual({
      ok: true,
      value: BigInt(Date.UTC(2026, 10, 23, 14)) * 1_000_000n + 123_456_789n,
    });
    expect(parseInstant("2026-11-23T15:00:00+01:00")).toEqual({
      ok: true,
      value: BigInt(Date.UTC(2026, 10, 23, 14)) * 1_000_000n,
    });
    expect(parseInstant("1795000000000000000")).toEqual({
      ok: true,
      value: 1_795_000_000_000_000_000n,
    });
  });

  it("refuses malformed instants, seqs and pairs with a message", () => {
    for (const bad of [
      "yesterday",
      "2026-11-23T14:00:00",
      "2026-13-45T99:00:00Z",
      "2026-11-23T14:00:00.1234567890Z",
      "-5",
      "",
    ]) {
      const r = parseInstant(bad);
      expect(r.ok, bad).toBe(false);
      if (!r.ok) expect(r.message).toMatch(/malformed instant/);
    }
    for (const bad of ["0", "-1", "1.5", "abc", "99999999999999999"])
      expect(parseSeq(bad).ok, bad).toBe(false);
    expect(parseSeq("42")).toEqual({ ok: true, value: 42 });
    expect(parsePair("eur/usd")).toEqual({ ok: true, value: "EURUSD" });
    for (const bad of ["EUR-USD", "EURUSDX", "EU", "123456"])
      expect(parsePair(bad).ok, bad).toBe(false);
  });

  it("needs exactly one of --at, --seq, --latest", () => {
    expect(parseAsOf(undefined, undefined, false).ok).toBe(false);
    expect(parseAsOf("1", "2", false).ok).toBe(false);
    expect(parseAsOf(undefined, undefined, true)).toEqual({ ok: true, value: { kind: "latest" } });
    expect(parseAsOf(undefined, "7", false)).toEqual({ ok: true, value: { kind: "seq", seq: 7 } });
  });
});
