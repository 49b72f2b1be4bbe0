// L2 depth per pair: Σ LeavesQty of live limit orders per (side, price).
// Defined over the orders view, so each event's effect is the difference
// between an order's contribution before and after it — which makes depth
// converge whatever order the two topics deliver in.
import type { Side } from "@fxcore/domain";
import { isLive, type OrderView } from "./orders.ts";

export interface DepthDelta {
  readonly symbol: string;
  readonly side: Side;
  readonly price: number;
  readonly qty: bigint;
  readonly orders: number;
}

export interface DepthLevel {
  readonly symbol: string;
  readonly side: Side;
  readonly price: number;
  readonly qty: bigint;
  readonly orders: number;
}

const contribution = (o: OrderView | undefined): DepthDelta | undefined =>
  o && o.price !== null && o.accepted && isLive(o) && o.leavesQty > 0
    ? { symbol: o.symbol, side: o.side, price: o.price, qty: BigInt(o.leavesQty), orders: 1 }
    : undefined;

/** The change of an order's contribution, appended to `out` (no array per call). */
export const pushDepthDeltas = (
  out: DepthDelta[],
  before: OrderView | undefined,
  after: OrderView,
): void => {
  const b = contribution(before);
  const a = contribution(after);
  if (b) out.push({ symbol: b.symbol, side: b.side, price: b.price, qty: -b.qty, orders: -1 });
  if (a) out.push(a);
};

const levelKey = (d: { symbol: string; side: Side; price: number }): string =>
  `${d.symbol}|${d.side}|${d.price}`;

/** Folds deltas into levels; levels that reach zero disappear. */
export const applyDepth = (
  levels: ReadonlyMap<string, DepthLevel>,
  deltas: readonly DepthDelta[],
): Map<string, DepthLevel> => {
  const out = new Map(levels);
  for (const d of deltas) {
    const k = levelKey(d);
    const cur = out.get(k);
    const qty = (cur?.qty ?? 0n) + d.qty;
    const orders = (cur?.orders ?? 0) + d.orders;
    if (qty === 0n && orders === 0) out.delete(k);
    else out.set(k, { symbol: d.symbol, side: d.side, price: d.price, qty, orders });
  }
  return out;
};

/** Top `n` levels per side, best first. */
export const topOfBook = (
  levels: Iterable<DepthLevel>,
  symbol: string,
  n: number,
): { bids: DepthLevel[]; asks: DepthLevel[] } => {
  const mine = [...levels].filter((l) => l.symbol === symbol);
  return {
    bids: mine
      .filter((l) => l.side === "BUY")
      .sort((a, b) => b.price - a.price)
      .slice(0, n),
    asks: mine
      .filter((l) => l.side === "SELL")
      .sort((a, b) => a.price - b.price)
      .slice(0, n),
  };
};
