// Every domain event. Command-side events are written by command-service (event
// store + outbox → fx.orders) and are the matcher's input; matcher events are
// its output on fx.executions, each stamped with the pair's gapless `seq`.
// Schemas in schemas/ mirror these types one record per event type.

import type { CxlRejReason, OrdRejReason } from "./fix.ts";
import type {
  AccountId,
  ClOrdId,
  ExecId,
  OrderId,
  OrdType,
  PairSeq,
  PriceTicks,
  Qty,
  Side,
  StpMode,
  Symbol,
  TimeInForce,
  TimestampNs,
} from "./values.ts";

// ---- command side (fx.orders) ----

/** The venue took the order (ExecType New). Quantities and prices already validated and converted. */
export interface OrderAccepted {
  readonly type: "OrderAccepted";
  readonly orderId: OrderId;
  readonly clOrdId: ClOrdId;
  readonly account: AccountId;
  readonly symbol: Symbol;
  readonly side: Side;
  readonly ordType: OrdType;
  /** Limit price; null for MARKET (bounded by the instrument's collar in the matcher). */
  readonly price: PriceTicks | null;
  readonly qty: Qty;
  readonly tif: TimeInForce;
  /** GTD: the client's ExpireTime; DAY: the session close (17:00 New York) stamped at acceptance. */
  readonly expireTime: TimestampNs | null;
  readonly minQty: Qty | null;
  readonly postOnly: boolean;
  readonly stpMode: StpMode;
  readonly transactTime: TimestampNs;
}

/** Business reject (ExecType Rejected, tag 103). Also emitted by the matcher (post-only would take, duplicate live id). */
export interface OrderRejected {
  readonly type: "OrderRejected";
  readonly orderId: OrderId | null;
  readonly clOrdId: ClOrdId;
  readonly account: AccountId;
  /** Raw symbol as received: may be an unknown one. */
  readonly symbol: string;
  readonly side: Side;
  readonly reason: OrdRejReason;
  readonly text: string;
  readonly transactTime: TimestampNs;
  /** Present when the matcher rejected it. */
  readonly seq?: PairSeq;
}

/**
 * The order a cancel or replace is about, as its request named it: the
 * request's ClOrdID, the one it amends (origClOrdId), whose order, which pair.
 */
interface AmendedOrder {
  readonly orderId: OrderId;
  readonly clOrdId: ClOrdId;
  readonly origClOrdId: ClOrdId;
  readonly account: AccountId;
  readonly symbol: Symbol;
  readonly side: Side;
}

export interface OrderCancelRequested extends AmendedOrder {
  readonly type: "OrderCancelRequested";
  readonly transactTime: TimestampNs;
}

export interface OrderReplaceRequested extends AmendedOrder {
  readonly type: "OrderReplaceRequested";
  /** New limit price (null keeps a MARKET order's none). */
  readonly price: PriceTicks | null;
  /** New total OrderQty (FIX semantics: includes what is already filled). */
  readonly qty: Qty;
  readonly transactTime: TimestampNs;
}

/** Published by the scheduler into each pair's partition; drives GTD/DAY expiry. */
export interface TimeAdvanced {
  readonly type: "TimeAdvanced";
  readonly symbol: Symbol;
  readonly transactTime: TimestampNs;
}

// ---- matcher side (fx.executions) ----

export interface TradeExecuted {
  readonly type: "TradeExecuted";
  readonly seq: PairSeq;
  readonly execId: ExecId;
  readonly symbol: Symbol;
  /** Always the resting (maker) order's price. */
  readonly price: PriceTicks;
  readonly qty: Qty;
  readonly aggressorSide: Side;
  readonly makerOrderId: OrderId;
  readonly makerClOrdId: ClOrdId;
  readonly makerAccount: AccountId;
  readonly makerLeavesQty: Qty;
  readonly makerCumQty: Qty;
  readonly takerOrderId: OrderId;
  readonly takerClOrdId: ClOrdId;
  readonly takerAccount: AccountId;
  readonly takerLeavesQty: Qty;
  readonly takerCumQty: Qty;
  readonly transactTime: TimestampNs;
}

export type CancelReason = "REQUESTED";
/** clOrdId: the cancel request's ClOrdID. */
export interface OrderCancelled extends AmendedOrder {
  readonly type: "OrderCancelled";
  readonly seq: PairSeq;
  /** Quantity that was still open and is now cancelled. */
  readonly cancelledQty: Qty;
  readonly cumQty: Qty;
  readonly reason: CancelReason;
  readonly transactTime: TimestampNs;
}

export type ExpireReason =
  | "IOC_REMAINDER"
  | "FOK_UNFILLED"
  | "MARKET_REMAINDER"
  | "MIN_QTY_NOT_MET"
  | "SELF_TRADE"
  | "GTD"
  | "DAY";
export interface OrderExpired {
  readonly type: "OrderExpired";
  readonly seq: PairSeq;
  readonly orderId: OrderId;
  readonly clOrdId: ClOrdId;
  readonly account: AccountId;
  readonly symbol: Symbol;
  readonly side: Side;
  readonly expiredQty: Qty;
  readonly cumQty: Qty;
  readonly reason: ExpireReason;
  readonly transactTime: TimestampNs;
}

export interface OrderReplaced extends AmendedOrder {
  readonly type: "OrderReplaced";
  readonly seq: PairSeq;
  readonly price: PriceTicks | null;
  /** New total OrderQty. */
  readonly qty: Qty;
  readonly leavesQty: Qty;
  readonly cumQty: Qty;
  /** True when only the quantity was reduced: the order kept its place in the queue. */
  readonly priorityKept: boolean;
  readonly transactTime: TimestampNs;
}

interface CxlRejectFields {
  readonly orderId: OrderId | null;
  readonly clOrdId: ClOrdId;
  readonly origClOrdId: ClOrdId;
  readonly account: AccountId;
  readonly symbol: string;
  readonly reason: CxlRejReason;
  readonly text: string;
  readonly transactTime: TimestampNs;
  /** Present when the matcher rejected it (too late, unknown to the book). */
  readonly seq?: PairSeq;
}
export interface CancelRejected extends CxlRejectFields {
  readonly type: "CancelRejected";
}
export interface ReplaceRejected extends CxlRejectFields {
  readonly type: "ReplaceRejected";
}

/** What the matcher consumes (fx.orders). */
export type MatcherInput =
  | OrderAccepted
  | OrderCancelRequested
  | OrderReplaceRequested
  | TimeAdvanced;
/** What the matcher produces (fx.executions). */
export type MatcherOutput =
  | TradeExecuted
  | OrderCancelled
  | OrderExpired
  | OrderReplaced
  | OrderRejected
  | CancelRejected
  | ReplaceRejected;
/** Every event in the system. */
export type DomainEvent =
  | OrderAccepted
  | OrderRejected
  | OrderCancelRequested
  | OrderReplaceRequested
  | TimeAdvanced
  | TradeExecuted
  | OrderCancelled
  | OrderExpired
  | OrderReplaced
  | CancelRejected
  | ReplaceRejected;
export type DomainEventType = DomainEvent["type"];

/** Every event type, in log order of appearance in an order's life (exports list them in this order). */
export const DOMAIN_EVENT_TYPES = [
  "OrderAccepted",
  "OrderRejected",
  "OrderCancelRequested",
  "OrderReplaceRequested",
  "TimeAdvanced",
  "TradeExecuted",
  "OrderCancelled",
  "OrderExpired",
  "OrderReplaced",
  "CancelRejected",
  "ReplaceRejected",
] as const satisfies readonly DomainEventType[];

// Fails to compile when a DomainEvent type is missing from the list above.
const _allListed: Exclude<DomainEventType, (typeof DOMAIN_EVENT_TYPES)[number]> extends never
  ? true
  : never = true;
void _allListed;
