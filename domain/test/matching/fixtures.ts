// Builders for matcher inputs in tests. A test instrument of our own keeps the
// matching tests independent of the reference data.

import type {
  MatcherInput,
  OrderAccepted,
  OrderCancelRequested,
  OrderReplaceRequested,
  TimeAdvanced,
} from "../../src/events.ts";
import type { Instrument } from "../../src/instruments/instrument.ts";
import type {
  AccountId,
  ClOrdId,
  OrderId,
  OrdType,
  PriceTicks,
  Qty,
  Side,
  StpMode,
  Symbol,
  TimeInForce,
  TimestampNs,
} from "../../src/values.ts";

export const EURUSD = {
  symbol: "EURUSD" as Symbol,
  base: "EUR",
  quote: "USD",
  priceScale: 5,
  tickSize: 1 as PriceTicks,
  lotSize: 1 as Qty,
  minQty: 1 as Qty,
  maxQty: 1_000_000_000 as Qty,
  marketCollarTicks: 50 as PriceTicks,
  enabled: true,
} satisfies Instrument;

export const T0 = 1_700_000_000_000_000_000n;
export const at = (n: number | bigint): TimestampNs => (T0 + BigInt(n)) as TimestampNs;

export interface OrderSpec {
  id: string;
  side: Side;
  price?: number | null;
  qty: number;
  ordType?: OrdType;
  tif?: TimeInForce;
  account?: string;
  stp?: StpMode;
  minQty?: number | null;
  postOnly?: boolean;
  expireAt?: number | bigint | null;
  clOrdId?: string;
  time?: number;
}

export function accept(s: OrderSpec): OrderAccepted {
  const ordType = s.ordType ?? "LIMIT";
  return {
    type: "OrderAccepted",
    orderId: s.id as OrderId,
    clOrdId: (s.clOrdId ?? `c-${s.id}`) as ClOrdId,
    account: (s.account ?? "ACC1") as AccountId,
    symbol: EURUSD.symbol,
    side: s.side,
    ordType,
    price: (ordType === "MARKET" ? null : (s.price ?? null)) as PriceTicks | null,
    qty: s.qty as Qty,
    tif: s.tif ?? (ordType === "MARKET" ? "IOC" : "GTC"),
    expireTime: s.expireAt === undefined || s.expireAt === null ? null : at(s.expireAt),
    minQty: (s.minQty ?? null) as Qty | null,
    postOnly: s.postOnly ?? false,
    stpMode: s.stp ?? "NONE",
    transactTime: at(s.time ?? 0),
  };
}

export const buy = (id: string, price: number, qty: number, more: Partial<OrderSpec> = {}) =>
  accept({ id, side: "BUY", price, qty, ...more });
export const sell = (id: string, price: number, qty: number, more: Partial<OrderSpec> = {}) =>
  accept({ id, side: "SELL", price, qty, ...more });

export function cancel(
  id: string,
  more: { account?: string; time?: number; side?: Side } = {},
): OrderCancelRequested {
  return {
    type: "OrderCancelRequested",
    orderId: id as OrderId,
    clOrdId: `x-${id}` as ClOrdId,
    origClOrdId: `c-${id}` as ClOrdId,
    account: (more.account ?? "ACC1") as AccountId,
    symbol: EURUSD.symbol,
    side: more.side ?? "BUY",
    transactTime: at(more.time ?? 0),
  };
}

export function replace(
  id: string,
  price: number | null,
  qty: number,
  more: { account?: string; time?: number; side?: Side; clOrdId?: string } = {},
): OrderReplaceRequested {
  return {
    type: "OrderReplaceRequested",
    orderId: id as OrderId,
    clOrdId: (more.clOrdId ?? `r-${id}`) as ClOrdId,
    origClOrdId: `c-${id}` as ClOrdId,
    account: (more.account ?? "ACC1") as AccountId,
    symbol: EURUSD.symbol,
    side: more.side ?? "BUY",
    price: price as PriceTicks | null,
    qty: qty as Qty,
    transactTime: at(more.time ?? 0),
  };
}

export function tick(t: number | bigint): TimeAdvanced {
  return { type: "TimeAdvanced", symbol: EURUSD.symbol, transactTime: at(t) };
}

export type Input = MatcherInput;
