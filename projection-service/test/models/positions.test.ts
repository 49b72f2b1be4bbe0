import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { applyFill, balanceDeltas, emptyPosition } from "../../src/models/positions.ts";

describe("positions", () => {
  it("given a long built at two prices, when half is sold, then realised P&L uses the average cost", () => {
    let p = emptyPosition("A", "EURUSD");
    p = applyFill(p, "BUY", 1_000, 110000, 1n);
    p = applyFill(p, "BUY", 1_000, 110010, 2n);
    expect(p).toMatchObject({ netQty: 2_000n, cost: 1_000n * 110000n + 1_000n * 110010n });
    p = applyFill(p, "SELL", 1_000, 110020, 3n);
    // average 110005, sold 1000 at 110020 → +15 ticks × 1000
    expect(p).toMatchObject({ netQty: 1_000n, realisedPnl: 15_000n, cost: 110_005_000n });
  });

  it("given a long, when a sell flips it short, then the remainder opens at the fill price", () => {
    let p = applyFill(emptyPosition("A", "EURUSD"), "BUY", 1_000, 110000, 1n);
    p = applyFill(p, "SELL", 3_000, 110010, 2n);
    expect(p).toMatchObject({ netQty: -2_000n, cost: -2_000n * 110010n, realisedPnl: 10_000n });
  });

  it("given non-terminating averages, when the position goes flat, then realised P&L equals the exact cash result", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            buy: fc.boolean(),
            qty: fc.integer({ min: 1, max: 5_000 }),
            price: fc.integer({ min: 100_000, max: 120_000 }),
          }),
          { minLength: 1, maxLength: 30 },
        ),
        (fills) => {
          let p = emptyPosition("A", "EURUSD");
          let cash = 0n;
          for (const f of fills) {
            p = applyFill(p, f.buy ? "BUY" : "SELL", f.qty, f.price, 0n);
            cash += (f.buy ? -1n : 1n) * BigInt(f.qty) * BigInt(f.price);
          }
          // flatten at some price: all cost is then released
          const close = 110_000;
          if (p.netQty !== 0n) {
            const q = p.netQty > 0n ? p.netQty : -p.netQty;
            cash += (p.netQty > 0n ? 1n : -1n) * q * BigInt(close);
            p = applyFill(p, p.netQty > 0n ? "SELL" : "BUY", Number(q), close, 0n);
          }
          expect(p.netQty).toBe(0n);
          expect(p.cost).toBe(0n);
          expect(p.realisedPnl).toBe(cash);
        },
      ),
    );
  });

  it("given a USDJPY buy, then balances move base up and quote down, exactly at 8 decimals", () => {
    const d = balanceDeltas("A", "USD", "JPY", 3, "BUY", 1_000, 150123);
    expect(d).toEqual([
      { account: "A", currency: "USD", amount: 1_000n * 10n ** 8n },
      { account: "A", currency: "JPY", amount: -(1_000n * 150123n * 10n ** 5n) },
    ]);
  });
});
