// The FIX messages an event implies for each order it involves: an
// ExecutionReport (35=8) or an OrderCancelReject (35=9). Pure: the gateway and
// the projections render them; the numbers stay in ticks and units here.

import type { DomainEvent } from "../events.ts";
import { type CxlRejReason, ExecType, type OrdRejReason, OrdStatus } from "../fix.ts";
import { formatRatio } from "../money/decimal.ts";
import type { Notional } from "../money/notional.ts";
import {
  type AccountId,
  type ClOrdId,
  type ExecId,
  execId,
  type OrderId,
  type OrdType,
  ok,
  type PriceTicks,
  type Qty,
  type Result,
  type Side,
  type TimeInForce,
  type TimestampNs,
} from "../values.ts";
import { evolve, type OrderState, type OrderViolation } from "./order-state.ts";

/** AvgPx as the exact ratio Σ(LastPx × LastQty) / CumQty, in ticks. */
export interface AvgPx {
  readonly tradedNotional: Notional;
  readonly cumQty: Qty;
}

/**
 * AvgPx as a decimal string: exact when it terminates within priceScale + 4
 * decimals, else rounded half-to-even there. "0" before any fill (FIX convention).
 */
export const formatAvgPx = (avg: AvgPx, priceScale: number): string => {
  if (avg.cumQty === 0) return "0";
  const den = BigInt(avg.cumQty) * 10n ** BigInt(priceScale);
  return formatRatio(avg.tradedNotional, den, priceScale, priceScale + 4).text;
};

export interface ExecutionReport {
  readonly msgType: "8";
  readonly orderId: OrderId | null;
  readonly clOrdId: ClOrdId;
  readonly origClOrdId: ClOrdId | null;
  /**
   * Trades: the trade's ExecID suffixed "-M" (maker's report) or "-T" (taker's),
   * so the two reports of one trade never share an ExecID (a self-trade sends
   * both to one account). null for other reports: the shell derives one from the event's id.
   */
  readonly execId: ExecId | null;
  readonly execType: ExecType;
  readonly ordStatus: OrdStatus;
  readonly account: AccountId;
  readonly symbol: string;
  readonly side: Side;
  readonly ordType: OrdType | null;
  readonly price: PriceTicks | null;
  readonly orderQty: Qty;
  readonly timeInForce: TimeInForce | null;
  readonly expireTime: TimestampNs | null;
  readonly lastQty: Qty | null;
  readonly lastPx: PriceTicks | null;
  readonly cumQty: Qty;
  readonly leavesQty: Qty;
  readonly avgPx: AvgPx;
  readonly ordRejReason: OrdRejReason | null;
  readonly text: string | null;
  readonly transactTime: TimestampNs;
}

export interface OrderCancelReject {
  readonly msgType: "9";
  readonly orderId: OrderId | null;
  readonly clOrdId: ClOrdId;
  readonly origClOrdId: ClOrdId;
  /** The order's status now; Rejected for an order the venue does not know (FIX convention). */
  readonly ordStatus: OrdStatus;
  /** Tag 434: "1" cancel request, "2" cancel/replace request. */
  readonly cxlRejResponseTo: "1" | "2";
  readonly cxlRejReason: CxlRejReason;
  readonly account: AccountId;
  readonly symbol: string;
  readonly text: string;
  readonly transactTime: TimestampNs;
}

export type FixReport = ExecutionReport | OrderCancelReject;

/** Orders whose state an event changes or answers for; a trade involves its maker and its taker. */
export const ordersInvolved = (event: DomainEvent): readonly OrderId[] => {
  switch (event.type) {
    case "TimeAdvanced":
      return [];
    case "TradeExecuted":
      return [event.makerOrderId, event.takerOrderId];
    default:
      return event.orderId === null ? [] : [event.orderId];
  }
};

/**
 * The report `event` implies for one order, given that order's state after the
 * event (see evolve). null when the event implies no message to that order's
 * owner (requests, which FIX answers only by their outcome; time ticks).
 * For an unknown-order cancel reject, pass the initial (empty) state.
 */
export const executionReport = (event: DomainEvent, after: OrderState): FixReport | null => {
  switch (event.type) {
    case "TimeAdvanced":
    case "OrderCancelRequested":
    case "OrderReplaceRequested":
      return null;
    case "CancelRejected":
    case "ReplaceRejected":
      return {
        msgType: "9",
        orderId: event.orderId,
        clOrdId: event.clOrdId,
        origClOrdId: event.origClOrdId,
        ordStatus: after.status ?? OrdStatus.Rejected,
        cxlRejResponseTo: event.type === "CancelRejected" ? "1" : "2",
        cxlRejReason: event.reason,
        account: event.account,
        symbol: event.symbol,
        text: event.text,
        transactTime: event.transactTime,
      };
    default:
      break;
  }
  if (
    after.status === null ||
    after.clOrdId === null ||
    after.account === null ||
    after.side === null
  ) {
    return null;
  }
  const base = {
    msgType: "8" as const,
    orderId: after.orderId,
    clOrdId: after.clOrdId,
    origClOrdId: after.origClOrdId,
    ordStatus: after.status,
    account: after.account,
    symbol: after.symbol ?? "",
    side: after.side,
    ordType: after.ordType,
    price: after.price,
    orderQty: after.orderQty,
    timeInForce: after.tif,
    expireTime: after.expireTime,
    cumQty: after.cumQty,
    leavesQty: after.leavesQty,
    avgPx: { tradedNotional: after.tradedNotional, cumQty: after.cumQty },
    ordRejReason: null,
    text: null,
    transactTime: event.transactTime,
    execId: null,
    lastQty: null,
    lastPx: null,
  };
  switch (event.type) {
    case "OrderAccepted":
      return { ...base, execType: ExecType.New };
    case "OrderRejected":
      return { ...base, execType: ExecType.Rejected, ordRejReason: event.reason, text: event.text };
    case "TradeExecuted":
      return {
        ...base,
        execType: ExecType.Trade,
        execId: execId(`${event.execId}-${event.makerOrderId === after.orderId ? "M" : "T"}`),
        lastQty: event.qty,
        lastPx: event.price,
      };
    case "OrderCancelled":
      return { ...base, execType: ExecType.Canceled };
    case "OrderExpired":
      return { ...base, execType: ExecType.Expired, text: event.reason };
    case "OrderReplaced":
      return { ...base, execType: ExecType.Replaced };
  }
};

/**
 * evolve + executionReport in one step, for the gateway and projections: the
 * order's next state and the message its owner gets, or the violation.
 */
export const applyAndReport = (
  before: OrderState,
  event: DomainEvent,
): Result<{ readonly state: OrderState; readonly report: FixReport | null }, OrderViolation> => {
  const next = evolve(before, event);
  return next.ok ? ok({ state: next.value, report: executionReport(event, next.value) }) : next;
};
