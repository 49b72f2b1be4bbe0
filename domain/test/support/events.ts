// Event builders for one order's stream, consistent with the fixtures' PlaceOrder.

import { ACCOUNT, SECOND, T0 } from "./fixtures.ts";
import {
  accountId,
  type CancelRejected,
  CxlRejReason,
  clOrdId,
  execId,
  type OrderAccepted,
  type OrderCancelled,
  type OrderCancelRequested,
  type OrderExpired,
  type OrderReplaced,
  type OrderReplaceRequested,
  orderId,
  pairSeq,
  priceTicks,
  qty,
  symbol,
  type TradeExecuted,
  timestampNs,
} from "../../src/index.ts";

export const accepted = (over: Partial<OrderAccepted> = {}): OrderAccepted => ({
  type: "OrderAccepted",
  orderId: orderId("O-1"),
  clOrdId: clOrdId("C-1"),
  account: ACCOUNT,
  symbol: symbol("EURUSD"),
  side: "BUY",
  ordType: "LIMIT",
  price: priceTicks(110_000),
  qty: qty(1_000_000),
  tif: "GTC",
  expireTime: null,
  minQty: null,
  postOnly: false,
  stpMode: "NONE",
  transactTime: T0,
  ...over,
});

let seq = 0;
const next = () => pairSeq(++seq);

/** A fill of O-1 as the maker (default) or the taker; cum/leaves are what the matcher reports after it. */
export const trade = (
  fill: number,
  cumAfter: number,
  leavesAfter: number,
  over: Partial<TradeExecuted> & { role?: "MAKER" | "TAKER" } = {},
): TradeExecuted => {
  const { role = "MAKER", ...rest } = over;
  const us = {
    orderId: orderId("O-1"),
    clOrdId: clOrdId("C-1"),
    account: ACCOUNT,
    leaves: qty(leavesAfter),
    cum: qty(cumAfter),
  };
  const them = {
    orderId: orderId("X-9"),
    clOrdId: clOrdId("XC-9"),
    account: accountId("ACC-9"),
    leaves: qty(0),
    cum: qty(fill),
  };
  const maker = role === "MAKER" ? us : them;
  const taker = role === "MAKER" ? them : us;
  const s = next();
  return {
    type: "TradeExecuted",
    seq: s,
    execId: execId(`E-${s}`),
    symbol: symbol("EURUSD"),
    price: priceTicks(110_000),
    qty: qty(fill),
    aggressorSide: role === "MAKER" ? "SELL" : "BUY",
    makerOrderId: maker.orderId,
    makerClOrdId: maker.clOrdId,
    makerAccount: maker.account,
    makerLeavesQty: maker.leaves,
    makerCumQty: maker.cum,
    takerOrderId: taker.orderId,
    takerClOrdId: taker.clOrdId,
    takerAccount: taker.account,
    takerLeavesQty: taker.leaves,
    takerCumQty: taker.cum,
    transactTime: timestampNs(T0 + 2n * SECOND),
    ...rest,
  };
};

/** O-1 as a cancel or replace (C-2, of C-1) names it. */
const AMENDING = {
  orderId: orderId("O-1"),
  clOrdId: clOrdId("C-2"),
  origClOrdId: clOrdId("C-1"),
  account: ACCOUNT,
  symbol: symbol("EURUSD"),
  side: "BUY",
} as const;

export const cancelRequested = (
  over: Partial<OrderCancelRequested> = {},
): OrderCancelRequested => ({
  type: "OrderCancelRequested",
  ...AMENDING,
  transactTime: timestampNs(T0 + SECOND),
  ...over,
});

export const replaceRequested = (
  over: Partial<OrderReplaceRequested> = {},
): OrderReplaceRequested => ({
  type: "OrderReplaceRequested",
  ...AMENDING,
  price: priceTicks(110_010),
  qty: qty(2_000_000),
  transactTime: timestampNs(T0 + SECOND),
  ...over,
});

export const cancelled = (
  cancelledQty: number,
  cumQty: number,
  over: Partial<OrderCancelled> = {},
): OrderCancelled => ({
  type: "OrderCancelled",
  seq: next(),
  ...AMENDING,
  cancelledQty: qty(cancelledQty),
  cumQty: qty(cumQty),
  reason: "REQUESTED",
  transactTime: timestampNs(T0 + 3n * SECOND),
  ...over,
});

export const expired = (
  expiredQty: number,
  cumQty: number,
  over: Partial<OrderExpired> = {},
): OrderExpired => ({
  type: "OrderExpired",
  seq: next(),
  orderId: orderId("O-1"),
  clOrdId: clOrdId("C-1"),
  account: ACCOUNT,
  symbol: symbol("EURUSD"),
  side: "BUY",
  expiredQty: qty(expiredQty),
  cumQty: qty(cumQty),
  reason: "GTD",
  transactTime: timestampNs(T0 + 3n * SECOND),
  ...over,
});

export const replaced = (
  newQty: number,
  cumQty: number,
  over: Partial<OrderReplaced> = {},
): OrderReplaced => ({
  type: "OrderReplaced",
  seq: next(),
  ...AMENDING,
  price: priceTicks(110_010),
  qty: qty(newQty),
  leavesQty: qty(newQty - cumQty),
  cumQty: qty(cumQty),
  priorityKept: false,
  transactTime: timestampNs(T0 + 3n * SECOND),
  ...over,
});

export const cancelRejected = (over: Partial<CancelRejected> = {}): CancelRejected => ({
  type: "CancelRejected",
  orderId: orderId("O-1"),
  clOrdId: clOrdId("C-2"),
  origClOrdId: clOrdId("C-1"),
  account: ACCOUNT,
  symbol: "EURUSD",
  reason: CxlRejReason.TooLateToCancel,
  text: "too late to cancel",
  transactTime: timestampNs(T0 + 3n * SECOND),
  seq: next(),
  ...over,
});
