// Positions per (account, pair) with average-cost accounting, and cash
// balances per (account, currency). Exact integers only: amounts are
// ticks × units (quote currency at 10^-priceScale) or base units.
//
// Closing part of a position releases cost C·closed/|N| truncated toward
// zero; the remainder stays in the open position's cost, so when a position
// goes flat every tick of cost has been released and Σ realised P&L equals the
// exact cash result of the round trip.
import type { Side } from "@fxcore/domain";

export interface PositionView {
  readonly account: string;
  readonly symbol: string;
  /** Signed base units: > 0 long, < 0 short. */
  readonly netQty: bigint;
  /** Signed cost of the open position (ticks × units); avg price = cost / netQty. */
  readonly cost: bigint;
  /** Realised P&L in quote currency, ticks × units (10^-priceScale). */
  readonly realisedPnl: bigint;
  readonly boughtQty: bigint;
  readonly soldQty: bigint;
  readonly updatedAt: bigint;
}

export const emptyPosition = (account: string, symbol: string): PositionView => ({
  account,
  symbol,
  netQty: 0n,
  cost: 0n,
  realisedPnl: 0n,
  boughtQty: 0n,
  soldQty: 0n,
  updatedAt: 0n,
});

const abs = (x: bigint): bigint => (x < 0n ? -x : x);
const sign = (x: bigint): bigint => (x < 0n ? -1n : x > 0n ? 1n : 0n);

/** The position after one fill of `qty` at `price` ticks on `side`. */
export const applyFill = (
  p: PositionView,
  side: Side,
  qty: number,
  price: number,
  at: bigint,
): PositionView => {
  const q = side === "BUY" ? BigInt(qty) : -BigInt(qty);
  const px = BigInt(price);
  const traded = {
    boughtQty: p.boughtQty + (q > 0n ? q : 0n),
    soldQty: p.soldQty + (q < 0n ? -q : 0n),
    updatedAt: at,
  };
  if (p.netQty === 0n || sign(p.netQty) === sign(q)) {
    return { ...p, ...traded, netQty: p.netQty + q, cost: p.cost + q * px };
  }
  // biome-ignore lint/complexity/useMathMinMax: bigint has no Math.min
  const closed = abs(q) < abs(p.netQty) ? abs(q) : abs(p.netQty);
  const released = (p.cost * closed) / abs(p.netQty);
  const realised = closed * px * sign(p.netQty) - released;
  const remaining = abs(q) - closed;
  const netAfterClose = p.netQty + sign(q) * closed;
  return {
    ...p,
    ...traded,
    realisedPnl: p.realisedPnl + realised,
    netQty: netAfterClose + sign(q) * remaining,
    cost: p.cost - released + sign(q) * remaining * px,
  };
};

/** Balances are kept at this many decimals for every currency. */
export const BALANCE_SCALE = 8;

export interface BalanceDelta {
  readonly account: string;
  readonly currency: string;
  /** Amount × 10^BALANCE_SCALE. */
  readonly amount: bigint;
}

const UNIT = 10n ** BigInt(BALANCE_SCALE);
// Powers of ten by exponent, computed once: a bigint ** per fill was a hot spot.
const POW10 = Array.from({ length: BALANCE_SCALE + 1 }, (_, i) => 10n ** BigInt(i));
const pow10 = (n: number): bigint => POW10[n] ?? 10n ** BigInt(n);

/** Cash movements of one fill: base ± qty, quote ∓ qty × price. */
export const balanceDeltas = (
  account: string,
  base: string,
  quote: string,
  priceScale: number,
  side: Side,
  qty: number,
  price: number,
): BalanceDelta[] => {
  const s = side === "BUY" ? 1n : -1n;
  const quoteAmount = BigInt(qty) * BigInt(price) * pow10(BALANCE_SCALE - priceScale);
  return [
    { account, currency: base, amount: s * BigInt(qty) * UNIT },
    { account, currency: quote, amount: -s * quoteAmount },
  ];
};
