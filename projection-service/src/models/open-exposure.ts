// Open exposure per (account, pair) for the command side's credit check:
// Σ LeavesQty × limit price (ticks × units, exact) of the account's live,
// accepted LIMIT orders. Like depth it is defined over the orders view, so an
// event's effect is an order's contribution after minus before, whatever order
// the two topics arrive in. MARKET orders never rest (the matcher fills or
// expires them within their own input), so they count zero here; the command
// side values the ones not yet projected at the reference price (ADR 075).
import { isLive, type OrderView } from "./orders.ts";

export interface ExposureDelta {
  readonly account: string;
  readonly symbol: string;
  /** Price ticks × units. */
  readonly notional: bigint;
  readonly orders: number;
}

export interface Exposure {
  readonly account: string;
  readonly symbol: string;
  readonly notional: bigint;
  /** Live orders counted in it. */
  readonly orders: number;
}

const contribution = (o: OrderView | undefined): ExposureDelta | undefined =>
  o?.accepted && o.ordType !== "MARKET" && o.price !== null && isLive(o) && o.leavesQty > 0
    ? {
        account: o.account,
        symbol: o.symbol,
        notional: BigInt(o.leavesQty) * BigInt(o.price),
        orders: 1,
      }
    : undefined;

/** The change of an order's contribution, appended to `out` (no array per call). */
export const pushExposureDeltas = (
  out: ExposureDelta[],
  before: OrderView | undefined,
  after: OrderView,
): void => {
  const b = contribution(before);
  const a = contribution(after);
  if (b)
    out.push({ account: b.account, symbol: b.symbol, notional: -b.notional, orders: -b.orders });
  if (a) out.push(a);
};

export const exposureKey = (d: { account: string; symbol: string }): string =>
  `${d.account}|${d.symbol}`;

/** Folds deltas in; rows back at zero disappear. */
export const applyExposure = (
  rows: ReadonlyMap<string, Exposure>,
  deltas: readonly ExposureDelta[],
): Map<string, Exposure> => {
  const out = new Map(rows);
  for (const d of deltas) {
    const k = exposureKey(d);
    const cur = out.get(k);
    const notional = (cur?.notional ?? 0n) + d.notional;
    const orders = (cur?.orders ?? 0) + d.orders;
    if (notional === 0n && orders === 0) out.delete(k);
    else out.set(k, { account: d.account, symbol: d.symbol, notional, orders });
  }
  return out;
};
