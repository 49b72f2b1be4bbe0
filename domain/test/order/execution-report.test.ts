import { describe, expect, it } from "vitest";
import {
  applyAndReport,
  CxlRejReason,
  type DomainEvent,
  evolveAll,
  ExecType,
  executionReport,
  formatAvgPx,
  initialOrderState,
  notional,
  OrdStatus,
  ordersInvolved,
  type OrderState,
  orderId,
  priceTicks,
  qty,
} from "../../src/index.ts";
import {
  accepted,
  cancelled,
  cancelRejected,
  cancelRequested,
  expired,
  replaced,
  trade,
} from "../support/events.ts";

const after = (...events: DomainEvent[]): OrderState => {
  const r = evolveAll(events);
  if (!r.ok) throw new Error(r.error.text);
  return r.value;
};

describe("execution reports", () => {
  it("New on acceptance", () => {
    const e = accepted();
    expect(executionReport(e, after(e))).toMatchObject({
      msgType: "8",
      execType: ExecType.New,
      ordStatus: OrdStatus.New,
      orderQty: 1_000_000,
      cumQty: 0,
      leavesQty: 1_000_000,
      lastQty: null,
      lastPx: null,
      execId: null,
    });
  });

  it("a trade gives maker and taker distinct ExecIDs", () => {
    const f = trade(1_000, 1_000, 999_000, { role: "TAKER" });
    const r = executionReport(f, after(accepted(), f));
    expect(r).toMatchObject({ execId: `${f.execId}-T` });
  });

  it("a trade gives each involved order its own report with LastQty/LastPx and AvgPx", () => {
    const a = accepted();
    const f1 = trade(400_000, 400_000, 600_000, { price: priceTicks(110_000) });
    const f2 = trade(600_000, 1_000_000, 0, { price: priceTicks(110_003) });
    expect(ordersInvolved(f2)).toEqual([orderId("O-1"), orderId("X-9")]);
    const first = executionReport(f1, after(a, f1));
    expect(first).toMatchObject({
      execType: ExecType.Trade,
      ordStatus: OrdStatus.PartiallyFilled,
      execId: `${f1.execId}-M`,
      lastQty: 400_000,
      lastPx: 110_000,
      cumQty: 400_000,
      leavesQty: 600_000,
    });
    const second = executionReport(f2, after(a, f1, f2));
    expect(second).toMatchObject({
      execId: `${f2.execId}-M`,
      ordStatus: OrdStatus.Filled,
      leavesQty: 0,
      cumQty: 1_000_000,
      lastPx: 110_003,
    });
    if (second?.msgType !== "8") throw new Error("expected an ExecutionReport");
    // (0.4 × 1.10000 + 0.6 × 1.10003) = 1.100018 exactly.
    expect(formatAvgPx(second.avgPx, 5)).toBe("1.100018");
  });

  it("AvgPx is exact when it terminates, rounded half-even beyond priceScale + 4", () => {
    const avg = (pxQty: [number, number][]) => {
      const n = pxQty.reduce((s, [p, q]) => s + notional(priceTicks(p), qty(q)), 0n);
      const c = pxQty.reduce((s, [, q]) => s + q, 0);
      return formatAvgPx({ tradedNotional: n as never, cumQty: qty(c) }, 5);
    };
    expect(avg([])).toBe("0");
    expect(avg([[110_000, 1_000]])).toBe("1.10000");
    expect(
      avg([
        [110_000, 1_000],
        [110_001, 2_000],
      ]),
    ).toBe("1.100006667"); // 1.10000666…
    expect(
      avg([
        [110_000, 1_000],
        [110_001, 1_000],
      ]),
    ).toBe("1.100005");
  });

  it("Canceled, Expired, Replaced and Rejected", () => {
    const a = accepted();
    const c = cancelled(1_000_000, 0);
    expect(executionReport(c, after(a, cancelRequested(), c))).toMatchObject({
      execType: ExecType.Canceled,
      ordStatus: OrdStatus.Canceled,
      clOrdId: "C-2",
      origClOrdId: "C-1",
      leavesQty: 0,
    });
    const x = expired(1_000_000, 0, { reason: "IOC_REMAINDER" });
    expect(executionReport(x, after(a, x))).toMatchObject({
      execType: ExecType.Expired,
      ordStatus: OrdStatus.Expired,
      text: "IOC_REMAINDER",
    });
    const r = replaced(3_000_000, 0);
    expect(executionReport(r, after(a, r))).toMatchObject({
      execType: ExecType.Replaced,
      ordStatus: OrdStatus.New,
      orderQty: 3_000_000,
      leavesQty: 3_000_000,
      price: 110_010,
    });
    const rej = {
      type: "OrderRejected" as const,
      orderId: null,
      clOrdId: "C-1" as never,
      account: "ACC-1" as never,
      symbol: "NOPE",
      side: "SELL" as const,
      reason: 1 as const,
      text: "unknown symbol",
      transactTime: a.transactTime,
    };
    expect(executionReport(rej, after(rej))).toMatchObject({
      execType: ExecType.Rejected,
      ordStatus: OrdStatus.Rejected,
      ordRejReason: 1,
      leavesQty: 0,
      cumQty: 0,
      symbol: "NOPE",
    });
  });

  it("a cancel reject is an OrderCancelReject with the order's current status", () => {
    const a = accepted();
    const f = trade(1_000_000, 1_000_000, 0);
    const late = cancelRejected();
    expect(executionReport(late, after(a, f, cancelRequested(), late))).toEqual({
      msgType: "9",
      orderId: "O-1",
      clOrdId: "C-2",
      origClOrdId: "C-1",
      ordStatus: OrdStatus.Filled,
      cxlRejResponseTo: "1",
      cxlRejReason: CxlRejReason.TooLateToCancel,
      account: "ACC-1",
      symbol: "EURUSD",
      text: "too late to cancel",
      transactTime: late.transactTime,
    });
    const unknown = cancelRejected({
      orderId: null,
      reason: CxlRejReason.UnknownOrder,
      type: "ReplaceRejected",
    } as never);
    expect(executionReport(unknown, initialOrderState)).toMatchObject({
      ordStatus: OrdStatus.Rejected,
      cxlRejResponseTo: "2",
      cxlRejReason: CxlRejReason.UnknownOrder,
    });
  });

  it("requests and time ticks imply no report", () => {
    const a = accepted();
    expect(executionReport(cancelRequested(), after(a, cancelRequested()))).toBeNull();
    expect(
      ordersInvolved({
        type: "TimeAdvanced",
        symbol: "EURUSD" as never,
        transactTime: a.transactTime,
      }),
    ).toEqual([]);
  });
});

describe("applyAndReport", () => {
  it("evolves and reports in one step, or returns the violation untouched", () => {
    const a = accepted();
    const first = applyAndReport(initialOrderState, a);
    expect(first).toMatchObject({
      ok: true,
      value: { state: { status: OrdStatus.New }, report: { execType: ExecType.New } },
    });
    if (!first.ok) return;
    const again = applyAndReport(first.value.state, a);
    expect(again).toMatchObject({ ok: false, error: { kind: "ALREADY_EXISTS" } });
  });
});
