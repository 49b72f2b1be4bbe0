import { describe, expect, it } from "vitest";
import {
  clOrdId,
  evolveAll,
  ExecType,
  initialOrderState,
  OrdRejReason,
  OrdStatus,
  orderId,
  priceTicks,
  qty,
  timestampNs,
} from "../../src/index.ts";
import {
  accepted,
  cancelled,
  cancelRejected,
  cancelRequested,
  expired,
  replaced,
  replaceRequested,
  trade,
} from "../support/events.ts";
import { ACCOUNT, T0 } from "../support/fixtures.ts";
import { given } from "../support/given-when-then.ts";

const rejectedAtEntry = {
  type: "OrderRejected" as const,
  orderId: orderId("O-1"),
  clOrdId: clOrdId("C-1"),
  account: ACCOUNT,
  symbol: "EURXYZ",
  side: "BUY" as const,
  reason: OrdRejReason.UnknownSymbol,
  text: "unknown symbol",
  transactTime: T0,
};

describe("order state machine", () => {
  it("OrderAccepted: New, LeavesQty = OrderQty", () => {
    given()
      .whenEvent(accepted())
      .thenState({
        status: OrdStatus.New,
        orderQty: qty(1_000_000),
        cumQty: qty(0),
        leavesQty: qty(1_000_000),
        lastExecType: ExecType.New,
        clOrdIdChain: [clOrdId("C-1")],
      });
  });

  it("OrderRejected at entry: Rejected, nothing left", () => {
    given()
      .whenEvent(rejectedAtEntry)
      .thenState({
        status: OrdStatus.Rejected,
        leavesQty: qty(0),
        ordRejReason: OrdRejReason.UnknownSymbol,
        lastExecType: ExecType.Rejected,
      });
  });

  it("a partial fill, then the rest: PartiallyFilled then Filled, AvgPx exact", () => {
    const s = given(accepted())
      .whenEvent(trade(400_000, 400_000, 600_000, { price: priceTicks(110_000) }))
      .thenState({
        status: OrdStatus.PartiallyFilled,
        cumQty: qty(400_000),
        leavesQty: qty(600_000),
      });
    const filled = given(
      accepted(),
      trade(400_000, 400_000, 600_000, { price: priceTicks(110_000) }),
    )
      .whenEvent(trade(600_000, 1_000_000, 0, { price: priceTicks(109_995), role: "TAKER" }))
      .thenState({
        status: OrdStatus.Filled,
        cumQty: qty(1_000_000),
        leavesQty: qty(0),
        lastExecType: ExecType.Trade,
      });
    expect(s.fills).toHaveLength(1);
    expect(filled.tradedNotional).toBe(400_000n * 110_000n + 600_000n * 109_995n);
    expect(filled.fills.map((f) => f.role)).toEqual(["MAKER", "TAKER"]);
  });

  it("cancel requested then cancelled: pending, then Canceled with the cancel's ClOrdID", () => {
    given(accepted())
      .whenEvent(cancelRequested())
      .thenState({
        status: OrdStatus.New,
        pending: [expect.objectContaining({ kind: "CANCEL", clOrdId: "C-2" })],
      });
    given(accepted(), trade(400_000, 400_000, 600_000), cancelRequested())
      .whenEvent(cancelled(600_000, 400_000))
      .thenState({
        status: OrdStatus.Canceled,
        cumQty: qty(400_000),
        leavesQty: qty(0),
        pending: [],
        clOrdId: clOrdId("C-2"),
        origClOrdId: clOrdId("C-1"),
        lastExecType: ExecType.Canceled,
      });
  });

  it("cancel rejected: the pending request goes, the order stays", () => {
    given(accepted(), cancelRequested())
      .whenEvent(cancelRejected())
      .thenState({ status: OrdStatus.New, pending: [], leavesQty: qty(1_000_000) });
  });

  it("replace: new ClOrdID, price and OrderQty; LeavesQty = OrderQty - CumQty", () => {
    given(accepted(), trade(400_000, 400_000, 600_000), replaceRequested())
      .whenEvent(replaced(2_000_000, 400_000))
      .thenState({
        status: OrdStatus.PartiallyFilled,
        clOrdId: clOrdId("C-2"),
        origClOrdId: clOrdId("C-1"),
        clOrdIdChain: [clOrdId("C-1"), clOrdId("C-2")],
        price: priceTicks(110_010),
        orderQty: qty(2_000_000),
        leavesQty: qty(1_600_000),
        pending: [],
        lastExecType: ExecType.Replaced,
      });
  });

  it("replace down to CumQty completes the order", () => {
    given(accepted(), trade(400_000, 400_000, 600_000))
      .whenEvent(replaced(400_000, 400_000))
      .thenState({ status: OrdStatus.Filled, leavesQty: qty(0), orderQty: qty(400_000) });
  });

  it.each([
    "IOC_REMAINDER",
    "FOK_UNFILLED",
    "MARKET_REMAINDER",
    "MIN_QTY_NOT_MET",
    "SELF_TRADE",
    "GTD",
    "DAY",
  ] as const)("expiry (%s): Expired, nothing left", (reason) => {
    given(accepted(), trade(1_000, 1_000, 999_000))
      .whenEvent(expired(999_000, 1_000, { reason }))
      .thenState({ status: OrdStatus.Expired, leavesQty: qty(0), cumQty: qty(1_000) });
  });

  it("the matcher may reject an accepted order it cannot book (post-only would take)", () => {
    given(accepted({ postOnly: true }))
      .whenEvent({
        ...rejectedAtEntry,
        symbol: "EURUSD",
        reason: OrdRejReason.Other,
        text: "post-only would take",
      })
      .thenState({ status: OrdStatus.Rejected, leavesQty: qty(0) });
  });

  it("time ticks change nothing", () => {
    given(accepted())
      .whenEvent({
        type: "TimeAdvanced",
        symbol: "EURUSD" as never,
        transactTime: timestampNs(T0 + 1n),
      })
      .thenUnchanged();
  });
});

describe("terminal orders never change", () => {
  const terminals = {
    filled: [accepted(), trade(1_000_000, 1_000_000, 0)],
    cancelled: [accepted(), cancelRequested(), cancelled(1_000_000, 0)],
    expired: [accepted(), expired(1_000_000, 0)],
    rejected: [{ ...rejectedAtEntry, symbol: "EURUSD", reason: OrdRejReason.OrderExceedsLimit }],
  };
  const changing = {
    OrderAccepted: accepted(),
    TradeExecuted: trade(1_000, 1_000, 999_000),
    OrderCancelled: cancelled(0, 0),
    OrderExpired: expired(0, 0),
    OrderReplaced: replaced(1_000_000, 0),
  };

  for (const [name, history] of Object.entries(terminals)) {
    for (const [type, event] of Object.entries(changing)) {
      it(`${type} on a ${name} order is a violation`, () => {
        given(...history)
          .whenEvent(event)
          .thenViolation("TERMINAL_ORDER_CHANGED");
      });
    }
    it(`a late cancel/replace request or its reject on a ${name} order leaves it as it is`, () => {
      for (const e of [
        cancelRequested({ clOrdId: clOrdId("C-5") }),
        replaceRequested({ clOrdId: clOrdId("C-6") }),
        cancelRejected({ clOrdId: clOrdId("C-5") }),
      ]) {
        given(...history)
          .whenEvent(e)
          .thenUnchanged();
      }
    });
  }
});

describe("violations are values", () => {
  it("an event before the order exists", () => {
    given()
      .whenEvent(trade(1_000, 1_000, 999_000))
      .thenViolation("NO_SUCH_ORDER");
    given().whenEvent(cancelRequested()).thenViolation("NO_SUCH_ORDER");
  });

  it("a second acceptance", () => {
    given(accepted()).whenEvent(accepted()).thenViolation("ALREADY_EXISTS");
  });

  it("an event for another order", () => {
    given(accepted())
      .whenEvent(cancelled(1_000_000, 0, { orderId: orderId("O-2") }))
      .thenViolation("WRONG_ORDER");
    given(accepted())
      .whenEvent(
        trade(1_000, 1_000, 0, { makerOrderId: orderId("O-7"), takerOrderId: orderId("O-8") }),
      )
      .thenViolation("WRONG_ORDER");
  });

  it("an overfill", () => {
    given(accepted())
      .whenEvent(trade(1_001_000, 1_001_000, 0))
      .thenViolation("OVERFILL");
  });

  it("a repeated ExecID", () => {
    const fill = trade(1_000, 1_000, 999_000);
    given(accepted(), fill)
      .whenEvent({ ...fill, makerCumQty: qty(2_000), makerLeavesQty: qty(998_000) })
      .thenViolation("DUPLICATE_EXEC_ID");
  });

  it("the matcher's CumQty/LeavesQty disagree with the fold", () => {
    given(accepted())
      .whenEvent(trade(1_000, 2_000, 998_000))
      .thenViolation("QTY_MISMATCH");
    given(accepted(), trade(1_000, 1_000, 999_000))
      .whenEvent(cancelled(1_000_000, 1_000))
      .thenViolation("QTY_MISMATCH");
    given(accepted(), trade(1_000, 1_000, 999_000))
      .whenEvent(expired(999_000, 0))
      .thenViolation("QTY_MISMATCH");
    given(accepted(), trade(5_000, 5_000, 995_000))
      .whenEvent(replaced(4_000, 5_000))
      .thenViolation("QTY_MISMATCH");
  });

  it("a reject of an order that already traded", () => {
    given(accepted(), trade(1_000, 1_000, 999_000))
      .whenEvent({ ...rejectedAtEntry, symbol: "EURUSD" })
      .thenViolation("INVARIANT");
  });

  it("evolveAll says which event broke the stream", () => {
    const r = evolveAll([accepted(), trade(1_000, 1_000, 999_000), accepted()]);
    expect(r).toMatchObject({
      ok: false,
      error: { index: 2, kind: "ALREADY_EXISTS", orderId: "O-1" },
    });
    expect(evolveAll([])).toEqual({ ok: true, value: initialOrderState });
  });
});

describe("identity", () => {
  it("an event naming this order id but another account, symbol or side is refused", () => {
    given(accepted())
      .whenEvent(cancelled(1_000_000, 0, { account: "ACC-2" as never }))
      .thenViolation("WRONG_ORDER");
    given(accepted())
      .whenEvent(expired(1_000_000, 0, { symbol: "GBPUSD" as never }))
      .thenViolation("WRONG_ORDER");
    given(accepted())
      .whenEvent(cancelRequested({ side: "SELL" }))
      .thenViolation("WRONG_ORDER");
    given(accepted())
      .whenEvent(trade(1_000, 1_000, 999_000, { makerAccount: "ACC-2" as never }))
      .thenViolation("WRONG_ORDER");
    // A resting BUY is hit by a SELL aggressor; as taker, a BUY order is the aggressor.
    given(accepted())
      .whenEvent(trade(1_000, 1_000, 999_000, { aggressorSide: "BUY" }))
      .thenViolation("WRONG_ORDER");
    given(accepted())
      .whenEvent(trade(1_000, 1_000, 999_000, { role: "TAKER", aggressorSide: "SELL" }))
      .thenViolation("WRONG_ORDER");
  });
});
