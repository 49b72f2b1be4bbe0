import { describe, expect, it } from "vitest";
import { MemoryReadModels } from "../../src/models/memory.ts";
import {
  accepted,
  cancelled,
  env,
  expired,
  pairs,
  rejected,
  replaced,
  trade,
} from "../fixtures.ts";

const fresh = () => new MemoryReadModels(pairs);

describe("orders view", () => {
  it("given an accepted order, when nothing else happens, then it is New with all of it open", () => {
    const m = fresh();
    m.apply(env(accepted({ id: "o1" })));
    expect(m.order("o1")).toMatchObject({
      ordStatus: "0",
      cumQty: 0,
      leavesQty: 1_000_000,
      orderQty: 1_000_000,
    });
  });

  it("given a resting order, when it fills in two trades at different prices, then AvgPx is exact", () => {
    const m = fresh();
    m.apply(env(accepted({ id: "m", side: "SELL" })));
    m.apply(
      env(
        trade({
          seq: 1,
          maker: "m",
          taker: "t1",
          qty: 300_000 as never,
          price: 110000 as never,
          aggressorSide: "BUY",
          makerCumQty: 300_000 as never,
          makerLeavesQty: 700_000 as never,
        }),
      ),
    );
    expect(m.order("m")).toMatchObject({ ordStatus: "1", cumQty: 300_000, leavesQty: 700_000 });
    m.apply(
      env(
        trade({
          seq: 2,
          maker: "m",
          taker: "t2",
          qty: 700_000 as never,
          price: 110003 as never,
          aggressorSide: "BUY",
          makerCumQty: 1_000_000 as never,
          makerLeavesQty: 0 as never,
        }),
      ),
    );
    const o = m.order("m");
    expect(o).toMatchObject({ ordStatus: "2", cumQty: 1_000_000, leavesQty: 0 });
    // (300000×110000 + 700000×110003) / 1000000 = 110002.1 ticks
    expect(o?.notional).toBe(300_000n * 110000n + 700_000n * 110003n);
  });

  it("given trades seen before the OrderAccepted (two topics), when it arrives, then the row equals in-order arrival", () => {
    const a = accepted({ id: "m", side: "SELL" });
    const t = trade({
      seq: 1,
      maker: "m",
      taker: "t",
      qty: 400_000 as never,
      aggressorSide: "BUY",
      makerCumQty: 400_000 as never,
      makerLeavesQty: 600_000 as never,
    });
    const inOrder = fresh();
    inOrder.apply(env(a));
    inOrder.apply(env(t));
    const late = fresh();
    late.apply(env(t));
    expect(late.order("m")?.accepted).toBe(false);
    late.apply(env(a));
    expect(late.order("m")).toEqual(inOrder.order("m"));
    expect(late.depth).toEqual(inOrder.depth);
  });

  it("given a cancel, then the order is Canceled, known by the cancel's ClOrdID, and reachable by both ClOrdIDs", () => {
    const m = fresh();
    m.apply(env(accepted({ id: "o1" })));
    m.apply(env(cancelled({ seq: 1, id: "o1" })));
    expect(m.order("o1")).toMatchObject({
      ordStatus: "4",
      leavesQty: 0,
      clOrdId: "cx-o1",
      origClOrdId: "c-o1",
    });
    expect(m.orderByClOrdId("A", "c-o1")?.orderId).toBe("o1");
    expect(m.orderByClOrdId("A", "cx-o1")?.orderId).toBe("o1");
  });

  it("given an IOC remainder expiry, then the order is Expired with the reason as text", () => {
    const m = fresh();
    m.apply(env(accepted({ id: "o1", tif: "IOC" })));
    m.apply(env(expired({ seq: 1, id: "o1" })));
    expect(m.order("o1")).toMatchObject({ ordStatus: "C", leavesQty: 0, text: "IOC_REMAINDER" });
  });

  it("given a replace before the late OrderAccepted, then the replaced price and quantity win", () => {
    const m = fresh();
    m.apply(env(replaced({ seq: 1, id: "o1" })));
    m.apply(env(accepted({ id: "o1" })));
    expect(m.order("o1")).toMatchObject({
      price: 109990,
      orderQty: 2_000_000,
      clOrdId: "r-o1",
      ordStatus: "0",
    });
  });

  it("given a terminal order, when a stale matcher output is re-delivered, then nothing changes", () => {
    const m = fresh();
    m.apply(env(accepted({ id: "o1" })));
    m.apply(env(cancelled({ seq: 5, id: "o1" })));
    const before = m.order("o1");
    m.apply(env(expired({ seq: 4, id: "o1" })));
    expect(m.order("o1")).toBe(before);
  });

  it("given a reject without an order id, then no order row exists but the account gets a Rejected report", () => {
    const m = fresh();
    m.apply(env(rejected({})));
    expect(m.orders.size).toBe(0);
    expect(m.reports.get("A")?.[0]).toMatchObject({
      execType: "8",
      ordStatus: "8",
      rejectReason: 1,
      clOrdId: "bad",
    });
  });

  it("given the same event id twice, then it is applied once", () => {
    const m = fresh();
    const e = env(accepted({ id: "o1" }));
    expect(m.apply(e)).toEqual({ ok: true, applied: true });
    expect(m.apply(e)).toEqual({ ok: true, applied: false });
    expect(m.reports.get("A")).toHaveLength(1);
  });
});
