// reference_prices and open_exposure (ADR 075): given events, then the rows.
import { describe, expect, it } from "vitest";
import { MemoryReadModels } from "../../src/models/memory.ts";
import { accepted, cancelled, env, expired, pairs, replaced, trade } from "../fixtures.ts";

const fresh = () => new MemoryReadModels(pairs);
const exposureOf = (m: MemoryReadModels, account: string, symbol = "EURUSD") =>
  m.exposure.get(`${account}|${symbol}`);

describe("reference_prices", () => {
  it("given no trade yet, when orders rest on both sides, then there is no reference price (no mid fallback)", () => {
    const m = fresh();
    m.apply(env(accepted({ id: "b", side: "BUY", price: 109990 as never })));
    m.apply(env(accepted({ id: "s", side: "SELL", price: 110010 as never })));
    expect(m.referencePrices.size).toBe(0);
  });

  it("given trades, when a later one arrives, then it is the last trade's price, seq and time", () => {
    const m = fresh();
    m.apply(env(trade({ seq: 3, maker: "m1", taker: "t1", price: 110020 as never })));
    m.apply(env(trade({ seq: 4, maker: "m2", taker: "t2", price: 110005 as never })));
    expect(m.referencePrices.get("EURUSD")).toEqual({
      symbol: "EURUSD",
      price: 110005,
      seq: 4,
      transactTime: trade({ seq: 4, maker: "x", taker: "y" }).transactTime,
    });
  });

  it("given a trade, when an older one arrives late, then the reference price stays the later trade's", () => {
    const m = fresh();
    m.apply(env(trade({ seq: 9, maker: "m1", taker: "t1", price: 110100 as never })));
    m.apply(env(trade({ seq: 8, maker: "m2", taker: "t2", price: 109900 as never })));
    expect(m.referencePrices.get("EURUSD")?.price).toBe(110100);
    expect(m.referencePrices.get("EURUSD")?.seq).toBe(9);
  });

  it("given a trade on each pair, then each pair has its own reference price", () => {
    const m = fresh();
    m.apply(env(trade({ seq: 1, maker: "m1", taker: "t1", price: 110000 as never })));
    m.apply(
      env(
        trade({
          seq: 1,
          maker: "m2",
          taker: "t2",
          symbol: "USDJPY" as never,
          price: 150123 as never,
        }),
      ),
    );
    expect(m.referencePrices.get("EURUSD")?.price).toBe(110000);
    expect(m.referencePrices.get("USDJPY")?.price).toBe(150123);
  });
});

describe("open_exposure", () => {
  it("given a resting limit order, then the account's exposure is leaves × price in ticks × units", () => {
    const m = fresh();
    m.apply(env(accepted({ id: "o1", price: 110000 as never, qty: 1_000_000 as never })));
    expect(exposureOf(m, "A")).toEqual({
      account: "A",
      symbol: "EURUSD",
      notional: 110_000_000_000n,
      orders: 1,
    });
  });

  it("given two orders, when one partially fills, then only its leaves count", () => {
    const m = fresh();
    m.apply(env(accepted({ id: "o1", side: "SELL", price: 110000 as never })));
    m.apply(
      env(accepted({ id: "o2", side: "SELL", price: 110050 as never, qty: 2_000_000 as never })),
    );
    m.apply(
      env(
        trade({
          seq: 1,
          maker: "o1",
          taker: "t",
          aggressorSide: "BUY",
          qty: 300_000 as never,
          makerCumQty: 300_000 as never,
          makerLeavesQty: 700_000 as never,
        }),
      ),
    );
    expect(exposureOf(m, "A")?.notional).toBe(700_000n * 110000n + 2_000_000n * 110050n);
    expect(exposureOf(m, "A")?.orders).toBe(2);
  });

  it("given a resting order, when it fills completely, then the row disappears", () => {
    const m = fresh();
    m.apply(env(accepted({ id: "o1", side: "SELL" })));
    m.apply(env(trade({ seq: 1, maker: "o1", taker: "t", aggressorSide: "BUY" })));
    expect(exposureOf(m, "A")).toBeUndefined();
  });

  it("given a resting order, when it is cancelled or expires, then it stops counting", () => {
    const m = fresh();
    m.apply(env(accepted({ id: "o1" })));
    m.apply(env(accepted({ id: "o2", price: 109000 as never })));
    m.apply(env(cancelled({ seq: 1, id: "o1" })));
    expect(exposureOf(m, "A")?.notional).toBe(1_000_000n * 109000n);
    m.apply(env(expired({ seq: 2, id: "o2", reason: "GTD_EXPIRED" as never })));
    expect(exposureOf(m, "A")).toBeUndefined();
  });

  it("given a resting order, when it is replaced to another price and size, then the new leaves × new price count", () => {
    const m = fresh();
    m.apply(env(accepted({ id: "o1", price: 110000 as never, qty: 1_000_000 as never })));
    m.apply(
      env(
        replaced({
          seq: 1,
          id: "o1",
          price: 109500 as never,
          qty: 3_000_000 as never,
          leavesQty: 3_000_000 as never,
        }),
      ),
    );
    expect(exposureOf(m, "A")).toMatchObject({ notional: 3_000_000n * 109500n, orders: 1 });
  });

  it("given a replace seen before the OrderAccepted (the two topics race), then the result is the same", () => {
    const a = fresh();
    const b = fresh();
    const acc = env(accepted({ id: "o1" }));
    const rep = env(replaced({ seq: 1, id: "o1", price: 109500 as never }));
    a.apply(acc);
    a.apply(rep);
    b.apply(rep);
    expect(b.exposure.size).toBe(0); // not accepted yet: the command side still counts it as pending
    b.apply(acc);
    expect([...b.exposure.values()]).toEqual([...a.exposure.values()]);
  });

  it("given a MARKET order, then it counts zero (it never rests; the command side values it while unprojected)", () => {
    const m = fresh();
    m.apply(env(accepted({ id: "mk", ordType: "MARKET", price: null, tif: "IOC" })));
    expect(exposureOf(m, "A")).toBeUndefined();
  });

  it("given exposures in two pairs and accounts, then each (account, pair) is separate", () => {
    const m = fresh();
    m.apply(env(accepted({ id: "o1" })));
    m.apply(env(accepted({ id: "o2", account: "B" as never })));
    m.apply(env(accepted({ id: "o3", symbol: "USDJPY" as never, price: 150000 as never })));
    expect(exposureOf(m, "A")?.notional).toBe(110_000_000_000n);
    expect(exposureOf(m, "B")?.notional).toBe(110_000_000_000n);
    expect(exposureOf(m, "A", "USDJPY")?.notional).toBe(150_000_000_000n);
  });

  it("given the same event twice, then it counts once", () => {
    const m = fresh();
    const e = env(accepted({ id: "o1" }));
    m.apply(e);
    m.apply(e);
    expect(exposureOf(m, "A")?.orders).toBe(1);
  });
});
