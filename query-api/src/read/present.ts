// Read-model rows → API JSON. Prices leave as decimal strings at the pair's
// scale, exact averages via the domain's formatter; big sums as strings.
import {
  type AvgPx,
  formatAvgPx,
  formatRatio,
  formatScaled,
  type Notional,
  type Qty,
  REFERENCE_CATALOG,
  type Symbol,
} from "@fxcore/domain";

export const priceScaleOf = (symbol: string): number | undefined =>
  REFERENCE_CATALOG.get(symbol as Symbol)?.priceScale;

const px = (ticks: string | number | null, symbol: string): string | null => {
  if (ticks === null) return null;
  const scale = priceScaleOf(symbol);
  return scale === undefined ? String(ticks) : formatScaled(BigInt(ticks), scale);
};
const nsToIso = (ns: string | null): string | null =>
  ns === null ? null : new Date(Number(BigInt(ns) / 1_000_000n)).toISOString();
const avg = (notional: string, cumQty: string, symbol: string): string => {
  const scale = priceScaleOf(symbol);
  const a: AvgPx = { tradedNotional: BigInt(notional) as Notional, cumQty: Number(cumQty) as Qty };
  return scale === undefined ? "0" : formatAvgPx(a, scale);
};
const n = (v: string | null): number | null => (v === null ? null : Number(v));

export type Row = Record<string, string | null> & Record<string, unknown>;

export const orderJson = (r: Row) => ({
  orderId: r.order_id as string,
  clOrdId: r.cl_ord_id as string,
  origClOrdId: r.orig_cl_ord_id as string | null,
  account: r.account as string,
  symbol: r.symbol as string,
  side: r.side as string,
  ordType: r.ord_type as string | null,
  timeInForce: r.tif as string | null,
  price: px(r.price as string | null, r.symbol as string),
  orderQty: n(r.order_qty as string | null),
  ordStatus: r.ord_status as string,
  cumQty: Number(r.cum_qty),
  leavesQty: Number(r.leaves_qty),
  avgPx: avg(r.notional as string, r.cum_qty as string, r.symbol as string),
  text: r.text as string | null,
  createdAt: nsToIso(r.created_at as string | null),
  updatedAt: nsToIso(r.updated_at as string),
});

export const executionJson = (r: Row) => ({
  seq: Number(r.account_seq),
  account: r.account as string,
  execId: r.exec_id as string,
  msgType: r.msg_type as string,
  execType: r.exec_type as string | null,
  ordStatus: r.ord_status as string | null,
  orderId: r.order_id as string | null,
  clOrdId: r.cl_ord_id as string,
  origClOrdId: r.orig_cl_ord_id as string | null,
  symbol: r.symbol as string,
  side: r.side as string | null,
  ordType: r.ord_type as string | null,
  price: px(r.price as string | null, r.symbol as string),
  orderQty: n(r.order_qty as string | null),
  lastQty: n(r.last_qty as string | null),
  lastPx: px(r.last_px as string | null, r.symbol as string),
  cumQty: Number(r.cum_qty),
  leavesQty: Number(r.leaves_qty),
  avgPx: avg(r.notional as string, r.cum_qty as string, r.symbol as string),
  rejectReason: r.reject_reason === null ? null : Number(r.reject_reason),
  cxlRejResponseTo: r.cxl_rej_response_to === null ? null : String(r.cxl_rej_response_to),
  text: r.text as string | null,
  transactTime: nsToIso(r.transact_time as string),
});

export const tradeJson = (r: Row) => ({
  symbol: r.symbol as string,
  seq: Number(r.seq),
  execId: r.exec_id as string,
  price: px(r.price as string, r.symbol as string) as string,
  qty: Number(r.qty),
  aggressorSide: r.aggressor_side as string,
  transactTime: nsToIso(r.transact_time as string) as string,
});

export const positionJson = (r: Row) => {
  const scale = priceScaleOf(r.symbol as string) ?? 0;
  const net = BigInt(r.net_qty as string);
  return {
    account: r.account as string,
    symbol: r.symbol as string,
    netQty: net.toString(),
    // avg = cost / net (ticks); both carry the position's sign
    avgPx:
      net === 0n
        ? null
        : formatRatio(
            (net < 0n ? -1n : 1n) * BigInt(r.cost as string),
            (net < 0n ? -net : net) * 10n ** BigInt(scale),
            scale,
            scale + 4,
          ).text,
    realisedPnl: formatScaled(BigInt(r.realised_pnl as string), scale),
    boughtQty: r.bought_qty as string,
    soldQty: r.sold_qty as string,
  };
};

export const balanceJson = (r: Row) => ({
  currency: r.currency as string,
  amount: formatScaled(BigInt(r.amount as string), 8),
});

export const levelJson = (r: Row) => ({
  price: px(r.price as string, r.symbol as string) as string,
  qty: r.qty as string,
  orders: Number(r.orders),
});

export const candleJson = (r: Row) => ({
  symbol: r.symbol as string,
  interval: r.interval as string,
  start: nsToIso(r.start_ns as string) as string,
  open: px(r.open as string, r.symbol as string) as string,
  high: px(r.high as string, r.symbol as string) as string,
  low: px(r.low as string, r.symbol as string) as string,
  close: px(r.close as string, r.symbol as string) as string,
  volume: r.volume as string,
  trades: Number(r.trades),
});
