// Given/when/then scenarios: every order type, TIF, STP mode and reject reason.

import { describe, expect, it } from "vitest";
import type { MatcherInput, MatcherOutput } from "../../src/events.ts";
import { createMatchingEngine, type MatchingEngine } from "../../src/matching/engine.ts";
import type { OrderId } from "../../src/values.ts";
import { accept, buy, cancel, EURUSD, replace, sell, tick } from "./fixtures.ts";

function given(...inputs: MatcherInput[]): MatchingEngine {
  const e = createMatchingEngine(EURUSD);
  for (const i of inputs) e.apply(i);
  return e;
}
const types = (out: MatcherOutput[]) => out.map((e) => e.type);
const trades = (out: MatcherOutput[]) =>
  out.flatMap((e) =>
    e.type === "TradeExecuted" ? [[e.makerOrderId, e.price, e.qty] as const] : [],
  );
const ids = (e: MatchingEngine) => e.restingOrders().map((o) => o.orderId);

describe("price-time priority", () => {
  it("better price first, then arrival order; trades at the maker's price", () => {
    const e = given(sell("s1", 103, 5), sell("s2", 102, 5), sell("s3", 102, 5));
    const out = e.apply(buy("b", 105, 12));
    expect(trades(out)).toEqual([
      ["s2", 102, 5],
      ["s3", 102, 5],
      ["s1", 103, 2],
    ]);
    expect(e.depth()).toEqual({ bids: [], asks: [{ price: 103, qty: 3, orders: 1 }] });
  });

  it("a sell aggressor trades at the resting bid's price", () => {
    const e = given(buy("b1", 101, 4));
    const [t] = e.apply(sell("s", 99, 4));
    expect(t).toMatchObject({ type: "TradeExecuted", price: 101, qty: 4, aggressorSide: "SELL" });
  });

  it("a partially filled GTC limit rests its remainder with FIX quantities", () => {
    const e = given(sell("s1", 100, 3));
    const [t] = e.apply(buy("b", 100, 10));
    expect(t).toMatchObject({
      makerOrderId: "s1",
      makerLeavesQty: 0,
      makerCumQty: 3,
      takerOrderId: "b",
      takerLeavesQty: 7,
      takerCumQty: 3,
      execId: "EURUSD-0000000001",
      seq: 1,
    });
    expect(e.restingOrders()).toMatchObject([{ orderId: "b", qty: 10, leavesQty: 7, cumQty: 3 }]);
  });

  it("resting orders never cross: a non-crossing limit just rests, with no events", () => {
    const e = given(sell("s1", 101, 1));
    expect(e.apply(buy("b", 100, 1))).toEqual([]);
    expect(e.depth()).toEqual({
      bids: [{ price: 100, qty: 1, orders: 1 }],
      asks: [{ price: 101, qty: 1, orders: 1 }],
    });
  });
});

describe("MARKET orders", () => {
  it("sweep levels up to the collar from the best opposite price, never through it", () => {
    // collar 50 ticks: best ask 100, so the limit is 150
    const e = given(sell("s1", 100, 2), sell("s2", 150, 2), sell("s3", 151, 2));
    const out = e.apply(accept({ id: "m", side: "BUY", ordType: "MARKET", qty: 10 }));
    expect(trades(out)).toEqual([
      ["s1", 100, 2],
      ["s2", 150, 2],
    ]);
    expect(out.at(-1)).toMatchObject({
      type: "OrderExpired",
      orderId: "m",
      reason: "MARKET_REMAINDER",
      expiredQty: 6,
      cumQty: 4,
    });
    expect(ids(e)).toEqual(["s3"]);
  });

  it("into an empty opposite side expires with nothing filled", () => {
    const e = given(buy("b1", 100, 5));
    const out = e.apply(accept({ id: "m", side: "BUY", ordType: "MARKET", qty: 3 }));
    expect(out).toMatchObject([
      { type: "OrderExpired", orderId: "m", reason: "MARKET_REMAINDER", expiredQty: 3, cumQty: 0 },
    ]);
    expect(ids(e)).toEqual(["b1"]);
  });

  it("a market sell is bounded below the best bid by the collar", () => {
    const e = given(buy("b1", 200, 1), buy("b2", 150, 1), buy("b3", 149, 1));
    const out = e.apply(accept({ id: "m", side: "SELL", ordType: "MARKET", qty: 3 }));
    expect(trades(out).map((t) => t[0])).toEqual(["b1", "b2"]);
  });
});

describe("time in force", () => {
  it("IOC fills what it can and expires the rest; it never rests", () => {
    const e = given(sell("s1", 100, 2));
    const out = e.apply(buy("i", 101, 5, { tif: "IOC" }));
    expect(types(out)).toEqual(["TradeExecuted", "OrderExpired"]);
    expect(out[1]).toMatchObject({ reason: "IOC_REMAINDER", expiredQty: 3, cumQty: 2 });
    expect(e.size).toBe(0);
  });

  it("IOC that cannot trade at all expires whole", () => {
    const e = given(sell("s1", 102, 2));
    expect(e.apply(buy("i", 101, 5, { tif: "IOC" }))).toMatchObject([
      { type: "OrderExpired", reason: "IOC_REMAINDER", expiredQty: 5, cumQty: 0 },
    ]);
    expect(ids(e)).toEqual(["s1"]);
  });

  it("FOK checks quantity across all levels within its limit and fills fully", () => {
    const e = given(sell("s1", 100, 2), sell("s2", 101, 2), sell("s3", 102, 2));
    const out = e.apply(buy("f", 102, 6, { tif: "FOK" }));
    expect(trades(out)).toEqual([
      ["s1", 100, 2],
      ["s2", 101, 2],
      ["s3", 102, 2],
    ]);
    expect(e.size).toBe(0);
  });

  it("FOK that cannot fill fully expires with nothing traded and the book untouched", () => {
    const e = given(sell("s1", 100, 2), sell("s2", 101, 2), sell("s3", 103, 5));
    const before = e.stateHash();
    const out = e.apply(buy("f", 102, 5, { tif: "FOK" }));
    expect(out).toMatchObject([
      { type: "OrderExpired", reason: "FOK_UNFILLED", expiredQty: 5, cumQty: 0 },
    ]);
    expect(e.depth().asks.map((l) => l.qty)).toEqual([2, 2, 5]);
    // only the seq moved: the book is the same
    expect(e.restingOrders().map((o) => o.orderId)).toEqual(["s1", "s2", "s3"]);
    expect(e.stateHash()).not.toBe(before);
  });

  it("GTD and DAY rest until TimeAdvanced passes their expireTime, expiring by time then priority", () => {
    const e = given(
      buy("g2", 100, 1, { tif: "GTD", expireAt: 20 }),
      buy("d1", 101, 1, { tif: "DAY", expireAt: 10 }),
      sell("g1", 110, 1, { tif: "GTD", expireAt: 10 }),
      buy("gtc", 99, 1),
      buy("g3", 98, 1, { tif: "GTD", expireAt: 30 }),
    );
    expect(e.apply(tick(9))).toEqual([]);
    const out = e.apply(tick(20));
    expect(out.map((x) => x.type === "OrderExpired" && [x.orderId, x.reason])).toEqual([
      ["d1", "DAY"],
      ["g1", "GTD"],
      ["g2", "GTD"],
    ]);
    expect(out[0]).toMatchObject({ expiredQty: 1, cumQty: 0 });
    expect(ids(e)).toEqual(["gtc", "g3"]);
    expect(e.apply(tick(30))).toMatchObject([{ orderId: "g3", reason: "GTD" }]);
  });

  it("a partially filled GTD order expires its leaves only", () => {
    const e = given(buy("g", 100, 5, { tif: "GTD", expireAt: 10 }), sell("s", 100, 2));
    expect(e.apply(tick(10))).toMatchObject([{ orderId: "g", expiredQty: 3, cumQty: 2 }]);
  });

  it("a cancelled GTD order does not expire later", () => {
    const e = given(buy("g", 100, 5, { tif: "GTD", expireAt: 10 }), cancel("g"));
    expect(e.apply(tick(10))).toEqual([]);
  });
});

describe("MinQty", () => {
  it("expires without trading when the immediately fillable quantity is below MinQty", () => {
    const e = given(sell("s1", 100, 2), sell("s2", 105, 10));
    const out = e.apply(buy("b", 101, 10, { minQty: 3 }));
    expect(out).toMatchObject([
      { type: "OrderExpired", reason: "MIN_QTY_NOT_MET", expiredQty: 10 },
    ]);
    expect(ids(e)).toEqual(["s1", "s2"]);
  });

  it("trades when at least MinQty is fillable and rests the remainder", () => {
    const e = given(sell("s1", 100, 2), sell("s2", 101, 2));
    const out = e.apply(buy("b", 101, 10, { minQty: 4 }));
    expect(trades(out)).toEqual([
      ["s1", 100, 2],
      ["s2", 101, 2],
    ]);
    expect(e.restingOrders()).toMatchObject([{ orderId: "b", leavesQty: 6 }]);
  });
});

describe("post-only", () => {
  it("is rejected when it would take, with reason 99 and a seq", () => {
    const e = given(sell("s1", 100, 2));
    const out = e.apply(buy("p", 100, 1, { postOnly: true }));
    expect(out).toEqual([
      expect.objectContaining({
        type: "OrderRejected",
        orderId: "p",
        reason: 99,
        text: "post-only order would take liquidity",
        seq: 1,
      }),
    ]);
    expect(ids(e)).toEqual(["s1"]);
  });

  it("rests when it would not take", () => {
    const e = given(sell("s1", 100, 2));
    expect(e.apply(buy("p", 99, 1, { postOnly: true }))).toEqual([]);
    expect(ids(e)).toEqual(["p", "s1"]);
  });
});

describe("rejects", () => {
  it("a second OrderAccepted with a live order id is rejected as duplicate (6)", () => {
    const e = given(buy("b", 100, 1));
    const out = e.apply(sell("b", 100, 1));
    expect(out).toMatchObject([{ type: "OrderRejected", orderId: "b", reason: 6 }]);
    expect(e.restingOrders()).toMatchObject([{ orderId: "b", side: "BUY" }]);
  });

  it("rejects malformed orders with typed reasons", () => {
    const e = given();
    expect(e.apply(buy("z", 100, 0))).toMatchObject([{ type: "OrderRejected", reason: 13 }]);
    expect(e.apply(buy("f", 100, 1.5))).toMatchObject([{ type: "OrderRejected", reason: 13 }]);
    expect(e.apply(accept({ id: "n", side: "BUY", qty: 1, price: null }))).toMatchObject([
      { type: "OrderRejected", reason: 99, text: "limit order needs a positive price" },
    ]);
    expect(e.apply({ ...buy("x", 100, 1), symbol: "GBPUSD" as never })).toMatchObject([
      { type: "OrderRejected", reason: 1 },
    ]);
    for (const bad of [
      { side: "BID" },
      { tif: "GTX" },
      { stpMode: "SOMETIMES" },
      { ordType: "STOP" },
    ]) {
      expect(e.apply({ ...buy(`u${Object.keys(bad)[0]}`, 100, 1), ...bad } as never)).toMatchObject(
        [{ type: "OrderRejected", reason: 11 }],
      );
    }
    expect(e.size).toBe(0);
  });
});

describe("self-trade prevention (stpMode of the incoming order)", () => {
  const book = () =>
    given(
      sell("other1", 100, 1, { account: "B" }),
      sell("own", 100, 1, { account: "A" }),
      sell("other2", 100, 1, { account: "B" }),
    );

  it("CANCEL_NEWEST: the incoming order's remainder expires at its own order", () => {
    const e = book();
    const out = e.apply(buy("in", 100, 3, { account: "A", stp: "CANCEL_NEWEST" }));
    expect(trades(out)).toEqual([["other1", 100, 1]]);
    expect(out.at(-1)).toMatchObject({
      orderId: "in",
      reason: "SELF_TRADE",
      expiredQty: 2,
      cumQty: 1,
    });
    expect(ids(e)).toEqual(["own", "other2"]);
  });

  it("CANCEL_OLDEST: the resting own order expires and matching continues", () => {
    const e = book();
    const out = e.apply(buy("in", 100, 3, { account: "A", stp: "CANCEL_OLDEST" }));
    expect(out.map((x) => [x.type, "orderId" in x ? x.orderId : x.makerOrderId])).toEqual([
      ["TradeExecuted", "other1"],
      ["OrderExpired", "own"],
      ["TradeExecuted", "other2"],
    ]);
    expect(out[1]).toMatchObject({ reason: "SELF_TRADE", expiredQty: 1 });
    expect(e.restingOrders()).toMatchObject([{ orderId: "in", leavesQty: 1 }]);
  });

  it("CANCEL_BOTH: both the resting and the incoming order expire", () => {
    const e = book();
    const out = e.apply(buy("in", 100, 3, { account: "A", stp: "CANCEL_BOTH" }));
    expect(out.map((x) => [x.type, "orderId" in x ? x.orderId : x.makerOrderId])).toEqual([
      ["TradeExecuted", "other1"],
      ["OrderExpired", "own"],
      ["OrderExpired", "in"],
    ]);
    expect(ids(e)).toEqual(["other2"]);
  });

  it("NONE: an account trades with itself", () => {
    const e = book();
    const out = e.apply(buy("in", 100, 3, { account: "A", stp: "NONE" }));
    expect(trades(out).map((t) => t[0])).toEqual(["other1", "own", "other2"]);
  });

  it("FOK counts only what STP lets it trade", () => {
    const e = book();
    const out = e.apply(buy("in", 100, 2, { account: "A", stp: "CANCEL_NEWEST", tif: "FOK" }));
    expect(out).toMatchObject([{ type: "OrderExpired", reason: "FOK_UNFILLED" }]);
    const e2 = book();
    const out2 = e2.apply(buy("in", 100, 2, { account: "A", stp: "CANCEL_OLDEST", tif: "FOK" }));
    expect(trades(out2).map((t) => t[0])).toEqual(["other1", "other2"]);
  });
});

describe("cancel", () => {
  it("cancels the leaves of a partially filled order", () => {
    const e = given(buy("b", 100, 10), sell("s", 100, 4));
    const out = e.apply(cancel("b"));
    expect(out).toEqual([
      expect.objectContaining({
        type: "OrderCancelled",
        orderId: "b",
        clOrdId: "x-b",
        origClOrdId: "c-b",
        cancelledQty: 6,
        cumQty: 4,
        reason: "REQUESTED",
      }),
    ]);
    expect(e.size).toBe(0);
  });

  it("after a fill is too late (0); a second cancel is too late; an unseen id is unknown (1)", () => {
    const e = given(buy("b", 100, 4), sell("s", 100, 4), buy("c", 90, 1), cancel("c"));
    expect(e.apply(cancel("b"))).toMatchObject([{ type: "CancelRejected", reason: 0, seq: 3 }]);
    expect(e.apply(cancel("c"))).toMatchObject([{ type: "CancelRejected", reason: 0 }]);
    expect(e.apply(cancel("nope"))).toMatchObject([
      { type: "CancelRejected", reason: 1, text: "unknown order" },
    ]);
    expect(e.orderStatus("b" as OrderId)).toEqual({ state: "DONE" });
    expect(e.orderStatus("nope" as OrderId)).toEqual({ state: "UNKNOWN" });
  });

  it("of an IOC remainder or a post-only reject is too late", () => {
    const e = given(
      sell("s", 100, 1),
      buy("i", 100, 2, { tif: "IOC" }),
      buy("p", 100, 1, { postOnly: true }),
    );
    expect(e.apply(cancel("i"))).toMatchObject([{ reason: 0 }]);
  });

  it("keeps the rest of the level intact (O(1) unlink in the middle)", () => {
    const e = given(sell("a", 100, 1), sell("b", 100, 1), sell("c", 100, 1), cancel("b"));
    expect(ids(e)).toEqual(["a", "c"]);
    expect(trades(e.apply(buy("x", 100, 2)))).toEqual([
      ["a", 100, 1],
      ["c", 100, 1],
    ]);
  });

  it("forgets terminal ids beyond its retention window: then the id is unknown", () => {
    const e = createMatchingEngine(EURUSD, { terminalIdGeneration: 2 });
    for (const id of ["t1", "t2", "t3", "t4", "t5"]) {
      e.apply(buy(id, 100, 1));
      e.apply(cancel(id));
    }
    expect(e.apply(cancel("t5"))).toMatchObject([{ reason: 0 }]);
    expect(e.apply(cancel("t1"))).toMatchObject([{ reason: 1 }]);
  });
});

describe("replace", () => {
  it("reducing quantity at the same price keeps priority", () => {
    const e = given(sell("a", 100, 5), sell("b", 100, 5));
    const out = e.apply(replace("a", 100, 3));
    expect(out).toMatchObject([
      {
        type: "OrderReplaced",
        orderId: "a",
        clOrdId: "r-a",
        origClOrdId: "c-a",
        qty: 3,
        leavesQty: 3,
        priorityKept: true,
      },
    ]);
    expect(ids(e)).toEqual(["a", "b"]);
    expect(e.depth().asks).toEqual([{ price: 100, qty: 8, orders: 2 }]);
    expect(trades(e.apply(buy("x", 100, 1)))).toEqual([["a", 100, 1]]);
  });

  it("increasing quantity loses priority (back of the same level)", () => {
    const e = given(sell("a", 100, 5), sell("b", 100, 5));
    expect(e.apply(replace("a", null, 6))).toMatchObject([{ priorityKept: false, leavesQty: 6 }]);
    expect(ids(e)).toEqual(["b", "a"]);
  });

  it("a price change loses priority and goes to the back of the new level", () => {
    const e = given(sell("a", 101, 5), sell("b", 100, 5));
    e.apply(replace("a", 100, 5));
    expect(ids(e)).toEqual(["b", "a"]);
  });

  it("a price change that crosses trades as an aggressor at the makers' prices", () => {
    const e = given(sell("s1", 100, 2), sell("s2", 101, 2), buy("b", 95, 5));
    const out = e.apply(replace("b", 101, 5));
    expect(types(out)).toEqual(["OrderReplaced", "TradeExecuted", "TradeExecuted"]);
    expect(trades(out)).toEqual([
      ["s1", 100, 2],
      ["s2", 101, 2],
    ]);
    expect(out[1]).toMatchObject({ takerOrderId: "b", takerClOrdId: "r-b", aggressorSide: "BUY" });
    expect(e.restingOrders()).toMatchObject([
      { orderId: "b", price: 101, leavesQty: 1, cumQty: 4 },
    ]);
  });

  it("to a quantity at or below what is filled ends the order (qty = cumQty, leaves 0)", () => {
    const e = given(buy("b", 100, 10), sell("s", 100, 4));
    expect(e.apply(replace("b", 100, 3))).toMatchObject([
      { type: "OrderReplaced", qty: 4, leavesQty: 0, cumQty: 4, priorityKept: false },
    ]);
    expect(e.size).toBe(0);
    expect(e.apply(cancel("b"))).toMatchObject([{ type: "CancelRejected", reason: 0 }]);
  });

  it("of a filled order is too late (0), of an unknown order unknown (1)", () => {
    const e = given(buy("b", 100, 4), sell("s", 100, 4));
    expect(e.apply(replace("b", 100, 8))).toMatchObject([{ type: "ReplaceRejected", reason: 0 }]);
    expect(e.apply(replace("zz", 100, 8))).toMatchObject([{ type: "ReplaceRejected", reason: 1 }]);
  });

  it("of a post-only order to a crossing price is rejected and leaves the order as it was", () => {
    const e = given(sell("s", 100, 1), buy("p", 99, 1, { postOnly: true }));
    expect(e.apply(replace("p", 100, 1))).toMatchObject([{ type: "ReplaceRejected", reason: 99 }]);
    expect(e.restingOrders()).toMatchObject([{ orderId: "p", price: 99 }, { orderId: "s" }]);
  });

  it("with a non-positive quantity is rejected", () => {
    const e = given(buy("b", 100, 4));
    expect(e.apply(replace("b", 100, 0))).toMatchObject([{ type: "ReplaceRejected", reason: 99 }]);
  });
});

describe("sequencing and ids", () => {
  it("stamps a gapless seq on every output and derives ExecIds from symbol + seq", () => {
    const e = given();
    const all = [
      ...e.apply(sell("s1", 100, 1)),
      ...e.apply(sell("s2", 100, 1)),
      ...e.apply(cancel("nope")),
      ...e.apply(buy("b", 100, 3, { tif: "IOC" })),
      ...e.apply(cancel("s1")),
    ];
    expect(all.map((x) => x.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(all.flatMap((x) => (x.type === "TradeExecuted" ? [x.execId] : []))).toEqual([
      "EURUSD-0000000002",
      "EURUSD-0000000003",
    ]);
    expect(e.seq).toBe(5);
  });

  it("keeps levels sorted however they arrive", () => {
    const e = given(...[5, 1, 9, 3, 7, 2, 8].map((p, i) => buy(`b${i}`, 100 + p, 1)));
    expect(e.depth(3).bids.map((l) => l.price)).toEqual([109, 108, 107]);
    e.apply(cancel("b2")); // 109
    expect(e.depth(2).bids.map((l) => l.price)).toEqual([108, 107]);
  });
});
