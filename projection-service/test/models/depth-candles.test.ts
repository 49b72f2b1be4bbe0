import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type Candle, mergeCandle, tradeCandles } from "../../src/models/candles.ts";
import { topOfBook } from "../../src/models/depth.ts";
import { MemoryReadModels } from "../../src/models/memory.ts";
import { accepted, at, cancelled, env, pairs, replaced, trade } from "../fixtures.ts";

describe("depth", () => {
  it("given resting orders at two prices, then levels aggregate quantity and order count", () => {
    const m = new MemoryReadModels(pairs);
    m.apply(env(accepted({ id: "b1", price: 110000 as never })));
    m.apply(env(accepted({ id: "b2", price: 110000 as never, qty: 2_000_000 as never })));
    m.apply(env(accepted({ id: "b3", price: 109990 as never })));
    m.apply(env(accepted({ id: "s1", side: "SELL", price: 110010 as never })));
    const top = topOfBook(m.depth.values(), "EURUSD", 5);
    expect(top.bids.map((l) => [l.price, l.qty, l.orders])).toEqual([
      [110000, 3_000_000n, 2],
      [109990, 1_000_000n, 1],
    ]);
    expect(top.asks.map((l) => [l.price, l.qty])).toEqual([[110010, 1_000_000n]]);
  });

  it("given a partial fill, a replace and a cancel, then the levels follow and empty levels vanish", () => {
    const m = new MemoryReadModels(pairs);
    m.apply(env(accepted({ id: "b1" })));
    m.apply(
      env(
        accepted({
          id: "s1",
          side: "SELL",
          ordType: "MARKET",
          price: null,
          tif: "IOC",
          account: "B" as never,
        }),
      ),
    );
    m.apply(
      env(
        trade({
          seq: 1,
          maker: "b1",
          taker: "s1",
          qty: 400_000 as never,
          makerCumQty: 400_000 as never,
          makerLeavesQty: 600_000 as never,
          takerCumQty: 400_000 as never,
        }),
      ),
    );
    expect([...m.depth.values()].map((l) => [l.price, l.qty])).toEqual([[110000, 600_000n]]);
    m.apply(
      env(
        replaced({
          seq: 2,
          id: "b1",
          price: 109995 as never,
          qty: 1_000_000 as never,
          cumQty: 400_000 as never,
          leavesQty: 600_000 as never,
        }),
      ),
    );
    expect([...m.depth.values()].map((l) => [l.price, l.qty])).toEqual([[109995, 600_000n]]);
    m.apply(
      env(
        cancelled({ seq: 3, id: "b1", cancelledQty: 600_000 as never, cumQty: 400_000 as never }),
      ),
    );
    expect(m.depth.size).toBe(0);
  });
});

describe("candles", () => {
  it("given trades in two seconds, then 1s candles split and the 1m candle holds both with OHLCV", () => {
    const m = new MemoryReadModels(pairs);
    m.apply(env(accepted({ id: "b1", qty: 10_000_000 as never })));
    const prices = [110000, 110005, 109995, 110002];
    prices.forEach((p, i) => {
      m.apply(
        env(
          trade({
            seq: i + 1,
            maker: "b1",
            taker: `t${i}`,
            price: p as never,
            qty: 1_000 as never,
            transactTime: at(i < 2 ? 100 : 1_100),
            makerCumQty: (1_000 * (i + 1)) as never,
            makerLeavesQty: (10_000_000 - 1_000 * (i + 1)) as never,
          }),
        ),
      );
    });
    const c = [...m.candles.values()];
    const oneS = c
      .filter((x) => x.interval === "1s")
      .map((x) => [x.open, x.high, x.low, x.close, x.volume, x.trades]);
    expect(oneS).toEqual([
      [110000, 110005, 110000, 110005, 2_000n, 2],
      [109995, 110002, 109995, 110002, 2_000n, 2],
    ]);
    const oneM = c.filter((x) => x.interval === "1m");
    expect(oneM).toHaveLength(1);
    expect(oneM[0]).toMatchObject({
      open: 110000,
      high: 110005,
      low: 109995,
      close: 110002,
      volume: 4_000n,
      trades: 4,
    });
  });

  it("merge is associative and commutative, so batches may fold in any grouping", () => {
    const arb = fc.array(
      fc.record({
        price: fc.integer({ min: 1, max: 1000 }),
        qty: fc.integer({ min: 1, max: 100 }),
      }),
      { minLength: 3, maxLength: 10 },
    );
    fc.assert(
      fc.property(arb, fc.integer({ min: 1, max: 2 }), (ts, split) => {
        const cs: Candle[] = ts.map(
          (t, i) =>
            tradeCandles(
              trade({
                seq: i + 1,
                maker: "m",
                taker: "t",
                price: t.price as never,
                qty: t.qty as never,
                transactTime: at(0),
              }),
            )[2]!,
        );
        const left = cs.reduce(mergeCandle);
        const a = cs.slice(0, split).reduce(mergeCandle);
        const b = cs.slice(split).reduce(mergeCandle);
        expect(mergeCandle(b, a)).toEqual(left);
        expect(left.open).toBe(ts[0]!.price);
        expect(left.close).toBe(ts.at(-1)!.price);
      }),
    );
  });
});
