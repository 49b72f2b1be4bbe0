import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  civilFromDays,
  daysFromCivil,
  nextSessionClose,
  type TimestampNs,
  timestampNs,
} from "../../src/index.ts";

const NS = 1_000_000n;
const at = (iso: string): TimestampNs => timestampNs(BigInt(Date.parse(iso)) * NS);
const iso = (t: TimestampNs): string => new Date(Number(t / NS)).toISOString();

// Intl is the oracle here only: the domain itself uses no tz data.
const NEW_YORK = new Intl.DateTimeFormat("en-US", {
  timeZone: "America/New_York",
  hourCycle: "h23",
  weekday: "short",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
});
const nyParts = (t: TimestampNs) => {
  const parts = NEW_YORK.formatToParts(new Date(Number(t / NS)));
  const get = (type: string) => parts.find((p) => p.type === type)?.value;
  return { weekday: get("weekday"), time: `${get("hour")}:${get("minute")}:${get("second")}` };
};

describe("nextSessionClose", { timeout: 30_000 }, () => {
  it.each([
    // Winter (EST, UTC-5): 17:00 NY = 22:00 UTC.
    ["2024-01-10T12:00:00Z", "2024-01-10T22:00:00.000Z"],
    ["2024-01-10T21:59:59Z", "2024-01-10T22:00:00.000Z"],
    // Exactly at the close belongs to the next session.
    ["2024-01-10T22:00:00Z", "2024-01-11T22:00:00.000Z"],
    ["2024-01-10T22:00:00.001Z", "2024-01-11T22:00:00.000Z"],
    // Summer (EDT, UTC-4): 21:00 UTC.
    ["2024-06-10T12:00:00Z", "2024-06-10T21:00:00.000Z"],
    // Just after midnight UTC is still the previous New York day.
    ["2024-06-11T02:00:00Z", "2024-06-11T21:00:00.000Z"],
    // Friday after the close and the whole weekend roll to Monday.
    ["2024-06-14T21:00:00Z", "2024-06-17T21:00:00.000Z"],
    ["2024-06-15T12:00:00Z", "2024-06-17T21:00:00.000Z"],
    ["2024-06-16T22:00:00Z", "2024-06-17T21:00:00.000Z"],
    // DST starts Sunday 2024-03-10: Friday closes at EST, Monday at EDT.
    ["2024-03-08T12:00:00Z", "2024-03-08T22:00:00.000Z"],
    ["2024-03-08T22:30:00Z", "2024-03-11T21:00:00.000Z"],
    // DST ends Sunday 2024-11-03: Friday closes at EDT, Monday at EST.
    ["2024-11-01T12:00:00Z", "2024-11-01T21:00:00.000Z"],
    ["2024-11-01T21:30:00Z", "2024-11-04T22:00:00.000Z"],
    // The pre-2007 rule would differ here (DST from 2007-03-11, not April).
    ["2007-03-12T12:00:00Z", "2007-03-12T21:00:00.000Z"],
    ["2007-11-02T12:00:00Z", "2007-11-02T21:00:00.000Z"],
    ["2007-11-05T12:00:00Z", "2007-11-05T22:00:00.000Z"],
    // Year end and a leap day.
    ["2025-12-31T23:00:00Z", "2026-01-01T22:00:00.000Z"],
    ["2028-02-29T12:00:00Z", "2028-02-29T22:00:00.000Z"],
  ])("after %s is %s", (now, close) => {
    expect(iso(nextSessionClose(at(now)))).toBe(close);
  });

  it("keeps nanosecond precision in its comparison", () => {
    const close = at("2024-01-10T22:00:00Z");
    expect(nextSessionClose(timestampNs(close - 1n))).toBe(close);
    expect(nextSessionClose(close)).toBe(at("2024-01-11T22:00:00Z"));
  });

  it("agrees with the tz database: a weekday 17:00:00 New York, and no close skipped (2007–2099)", () => {
    const from = BigInt(Date.parse("2007-01-01T00:00:00Z"));
    const to = BigInt(Date.parse("2099-12-01T00:00:00Z"));
    fc.assert(
      fc.property(fc.bigInt({ min: from * NS, max: to * NS }), (raw) => {
        const t = timestampNs(raw);
        const close = nextSessionClose(t);
        expect(close > t).toBe(true);
        const ny = nyParts(close);
        expect(ny.time).toBe("17:00:00");
        expect(["Mon", "Tue", "Wed", "Thu", "Fri"]).toContain(ny.weekday);
        // Nothing in between is a close: step back over each hour before it.
        for (let h = 1n; close - h * 3_600_000_000_000n > t; h++) {
          const p = nyParts(timestampNs(close - h * 3_600_000_000_000n));
          expect(p.time === "17:00:00" && !["Sat", "Sun"].includes(p.weekday ?? "")).toBe(false);
        }
      }),
      { numRuns: 150 },
    );
  });

  it("around every DST change of 2007–2040 the UTC close hour flips exactly once, the right way", () => {
    for (let year = 2007; year <= 2040; year++) {
      for (const [from, before, after] of [
        [`${year}-03-01T00:00:00Z`, 22, 21],
        [`${year}-10-25T00:00:00Z`, 21, 22],
      ] as const) {
        const hours: number[] = [];
        let t = at(from);
        for (let i = 0; i < 15; i++) {
          t = nextSessionClose(t);
          hours.push(new Date(Number(t / NS)).getUTCHours());
        }
        const flip = hours.indexOf(after);
        expect(flip, `${from}: ${hours.join(",")}`).toBeGreaterThan(0);
        expect(hours.slice(0, flip).every((h) => h === before)).toBe(true);
        expect(hours.slice(flip).every((h) => h === after)).toBe(true);
      }
    }
  });
});

describe("civil calendar arithmetic", () => {
  it("round trips day numbers and agrees with Date.UTC", () => {
    fc.assert(
      fc.property(fc.integer({ min: -100_000, max: 100_000 }), (days) => {
        const { year, month, day } = civilFromDays(days);
        expect(daysFromCivil(year, month, day)).toBe(days);
        expect(Date.UTC(year, month - 1, day) / 86_400_000).toBe(days);
      }),
    );
  });
});
