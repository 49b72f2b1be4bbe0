import type { TimestampNs } from "@fxcore/domain";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { expiryOf, planTicks } from "../../src/session-clock/due-ticks.ts";

const ns = (n: bigint) => n as TimestampNs;
const S = 1_000_000_000n;

describe("planTicks", () => {
  it("one tick per pair with a due expiry, at now, carrying the earliest due instant", () => {
    const ticks = planTicks({
      now: ns(100n * S),
      due: [
        { symbol: "GBPUSD", dueNs: 99n * S },
        { symbol: "EURUSD", dueNs: 95n * S },
        { symbol: "EURUSD", dueNs: 90n * S },
        { symbol: "EURUSD", dueNs: 100n * S },
      ],
      lastTicks: new Map(),
    });
    expect(ticks).toEqual([
      { symbol: "EURUSD", transactTime: 100n * S, reason: "EXPIRY", earliestDueNs: 90n * S },
      { symbol: "GBPUSD", transactTime: 100n * S, reason: "EXPIRY", earliestDueNs: 99n * S },
    ]);
  });

  it("ignores expiries not yet due (a tick before its due time would expire nothing)", () => {
    expect(
      planTicks({
        now: ns(100n * S),
        due: [{ symbol: "EURUSD", dueNs: 100n * S + 1n }],
        lastTicks: new Map(),
      }),
    ).toEqual([]);
  });

  it("never goes back in a pair's time: a tick after a later one (another instance's clock ahead) moves 1 ns past it", () => {
    const [t] = planTicks({
      now: ns(100n * S),
      due: [{ symbol: "EURUSD", dueNs: 50n * S }],
      lastTicks: new Map([["EURUSD", 100n * S + 7n]]),
    });
    expect(t?.transactTime).toBe(100n * S + 8n);
    const [same] = planTicks({
      now: ns(100n * S),
      due: [{ symbol: "EURUSD", dueNs: 50n * S }],
      lastTicks: new Map([["EURUSD", 100n * S]]),
    });
    expect(same?.transactTime).toBe(100n * S + 1n);
  });

  it("heartbeat ticks only the pairs quiet for at least the heartbeat, once each, and not a pair already ticked for an expiry", () => {
    const ticks = planTicks({
      now: ns(100n * S),
      due: [{ symbol: "EURUSD", dueNs: 10n * S }],
      lastTicks: new Map([
        ["EURUSD", 10n * S],
        ["GBPUSD", 95n * S],
        ["USDJPY", 40n * S],
        ["AUDUSD", 90n * S],
      ]),
      heartbeat: {
        everyNs: 10n * S,
        symbols: ["EURUSD", "GBPUSD", "USDJPY", "USDJPY", "AUDUSD", "NZDUSD"],
      },
    });
    expect(ticks.map((t) => [t.symbol, t.reason])).toEqual([
      ["AUDUSD", "HEARTBEAT"],
      ["EURUSD", "EXPIRY"],
      ["NZDUSD", "HEARTBEAT"],
      ["USDJPY", "HEARTBEAT"],
    ]);
    expect(ticks.find((t) => t.reason === "HEARTBEAT")?.earliestDueNs).toBeNull();
  });

  it("no heartbeat when it is 0", () => {
    expect(
      planTicks({
        now: ns(100n * S),
        due: [],
        lastTicks: new Map(),
        heartbeat: { everyNs: 0n, symbols: ["EURUSD"] },
      }),
    ).toEqual([]);
  });

  it("property: every due pair gets exactly one tick, at or after each of its due instants and after its last tick", () => {
    const sym = fc.constantFrom("EURUSD", "GBPUSD", "USDJPY", "AUDUSD");
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 1000n }),
        fc.array(fc.record({ symbol: sym, dueNs: fc.bigInt({ min: 0n, max: 1200n }) })),
        fc.array(fc.tuple(sym, fc.bigInt({ min: 0n, max: 1200n }))),
        (now, due, last) => {
          const lastTicks = new Map<string, bigint>(last);
          const ticks = planTicks({ now: ns(now), due, lastTicks });
          const dueSymbols = new Set(due.filter((d) => d.dueNs <= now).map((d) => d.symbol));
          expect(new Set(ticks.map((t) => t.symbol))).toEqual(dueSymbols);
          expect(ticks).toHaveLength(dueSymbols.size);
          for (const t of ticks) {
            expect(t.transactTime >= now).toBe(true);
            const l = lastTicks.get(t.symbol);
            if (l !== undefined) expect(t.transactTime > l).toBe(true);
            for (const d of due)
              if (d.symbol === t.symbol && d.dueNs <= now)
                expect(t.transactTime >= d.dueNs).toBe(true);
          }
        },
      ),
    );
  });
});

describe("expiryOf", () => {
  const accepted = { type: "OrderAccepted", symbol: "EURUSD" };
  it("an accepted order with an expireTime (GTD, DAY) is recorded for its pair", () => {
    expect(expiryOf({ ...accepted, expireTime: 42n })).toEqual({ symbol: "EURUSD", dueNs: 42n });
  });
  it("GTC/IOC (no expireTime), rejects and cancel requests are not", () => {
    expect(expiryOf({ ...accepted, expireTime: null })).toBeNull();
    expect(expiryOf({ type: "OrderRejected", symbol: "EURUSD" })).toBeNull();
    expect(expiryOf({ type: "OrderCancelRequested", symbol: "EURUSD" })).toBeNull();
  });
});
