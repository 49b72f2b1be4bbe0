// Event builders for tests: realistic defaults, override what the test is about.
import {
  accountId,
  type CancelRejected,
  clOrdId,
  execId,
  type OrderAccepted,
  type OrderCancelled,
  type OrderExpired,
  type OrderRejected,
  type OrderReplaced,
  orderId,
  pairSeq,
  priceTicks,
  qty,
  symbol,
  type TradeExecuted,
  timestampNs,
} from "@fxcore/domain";
import type { EventEnvelope } from "../src/models/envelope.ts";
import type { PairLookup } from "../src/models/project.ts";

export const T0 = 1_800_000_000_000_000_000n;
export const at = (ms: number) => timestampNs(T0 + BigInt(ms) * 1_000_000n);

export const pairs: PairLookup = (s) =>
  ({
    EURUSD: { base: "EUR", quote: "USD", priceScale: 5 },
    USDJPY: { base: "USD", quote: "JPY", priceScale: 3 },
  })[s];

export const accepted = (o: Partial<OrderAccepted> & { id: string }): OrderAccepted => ({
  type: "OrderAccepted",
  orderId: orderId(o.id),
  clOrdId: clOrdId(`c-${o.id}`),
  account: accountId("A"),
  symbol: symbol("EURUSD"),
  side: "BUY",
  ordType: "LIMIT",
  price: priceTicks(110000),
  qty: qty(1_000_000),
  tif: "GTC",
  expireTime: null,
  minQty: null,
  postOnly: false,
  stpMode: "NONE",
  transactTime: at(0),
  ...o,
});

export const trade = (
  o: Omit<Partial<TradeExecuted>, "seq"> & { seq: number; maker: string; taker: string },
): TradeExecuted => {
  const { maker, taker, ...rest } = o;
  return {
    type: "TradeExecuted",
    execId: execId(`x${o.seq}`),
    symbol: symbol("EURUSD"),
    price: priceTicks(110000),
    qty: qty(1_000_000),
    aggressorSide: "SELL",
    makerOrderId: orderId(maker),
    makerClOrdId: clOrdId(`c-${maker}`),
    makerAccount: accountId("A"),
    makerLeavesQty: qty(0),
    makerCumQty: qty(1_000_000),
    takerOrderId: orderId(taker),
    takerClOrdId: clOrdId(`c-${taker}`),
    takerAccount: accountId("B"),
    takerLeavesQty: qty(0),
    takerCumQty: qty(1_000_000),
    transactTime: at(o.seq),
    ...rest,
    seq: pairSeq(o.seq),
  };
};

export const cancelled = (
  o: Omit<Partial<OrderCancelled>, "seq"> & { seq: number; id: string },
): OrderCancelled => {
  const { id, ...rest } = o;
  return {
    type: "OrderCancelled",
    orderId: orderId(id),
    clOrdId: clOrdId(`cx-${id}`),
    origClOrdId: clOrdId(`c-${id}`),
    account: accountId("A"),
    symbol: symbol("EURUSD"),
    side: "BUY",
    cancelledQty: qty(1_000_000),
    cumQty: qty(0),
    reason: "REQUESTED",
    transactTime: at(o.seq),
    ...rest,
    seq: pairSeq(o.seq),
  };
};

export const expired = (
  o: Omit<Partial<OrderExpired>, "seq"> & { seq: number; id: string },
): OrderExpired => {
  const { id, ...rest } = o;
  return {
    type: "OrderExpired",
    orderId: orderId(id),
    clOrdId: clOrdId(`c-${id}`),
    account: accountId("A"),
    symbol: symbol("EURUSD"),
    side: "BUY",
    expiredQty: qty(1_000_000),
    cumQty: qty(0),
    reason: "IOC_REMAINDER",
    transactTime: at(o.seq),
    ...rest,
    seq: pairSeq(o.seq),
  };
};

export const replaced = (
  o: Omit<Partial<OrderReplaced>, "seq"> & { seq: number; id: string },
): OrderReplaced => {
  const { id, ...rest } = o;
  return {
    type: "OrderReplaced",
    orderId: orderId(id),
    clOrdId: clOrdId(`r-${id}`),
    origClOrdId: clOrdId(`c-${id}`),
    account: accountId("A"),
    symbol: symbol("EURUSD"),
    side: "BUY",
    price: priceTicks(109990),
    qty: qty(2_000_000),
    leavesQty: qty(2_000_000),
    cumQty: qty(0),
    priorityKept: false,
    transactTime: at(o.seq),
    ...rest,
    seq: pairSeq(o.seq),
  };
};

export const rejected = (o: Partial<OrderRejected>): OrderRejected => ({
  type: "OrderRejected",
  orderId: null,
  clOrdId: clOrdId("bad"),
  account: accountId("A"),
  symbol: "XXXYYY",
  side: "BUY",
  reason: 1,
  text: "unknown symbol",
  transactTime: at(0),
  ...o,
});

export const cancelRejected = (o: Partial<CancelRejected>): CancelRejected => ({
  type: "CancelRejected",
  orderId: null,
  clOrdId: clOrdId("cx-unknown"),
  origClOrdId: clOrdId("nope"),
  account: accountId("A"),
  symbol: "EURUSD",
  reason: 1,
  text: "unknown order",
  transactTime: at(0),
  ...o,
});

let n = 0;
export const env = (event: EventEnvelope["event"], eventId?: string): EventEnvelope => ({
  eventId: eventId ?? `00000000-0000-4000-8000-${(++n).toString().padStart(12, "0")}`,
  event,
  position: null,
});
