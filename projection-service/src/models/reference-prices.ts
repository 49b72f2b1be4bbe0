// Reference price per pair for the command side's price collar: the last
// trade (highest pair seq wins, so re-delivery or late arrival cannot move it
// back). No mid-of-book fallback: a lone resting quote would set it (ADR 075).
import type { TradeExecuted } from "@fxcore/domain";

export interface ReferencePrice {
  readonly symbol: string;
  /** Price ticks of the last trade. */
  readonly price: number;
  /** Pair seq of that trade. */
  readonly seq: number;
  readonly transactTime: bigint;
}

export const referencePriceOf = (e: TradeExecuted): ReferencePrice => ({
  symbol: e.symbol,
  price: e.price,
  seq: e.seq,
  transactTime: e.transactTime,
});

/** The later of two reference prices of a pair (by seq); `current` may be absent. */
export const laterReference = (
  current: ReferencePrice | undefined,
  next: ReferencePrice,
): ReferencePrice => (current !== undefined && current.seq >= next.seq ? current : next);
