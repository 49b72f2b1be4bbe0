import type { PriceTicks, Qty, Symbol } from "../values.ts";

/** Static reference data of one spot pair. Prices are in ticks of 10^-priceScale. */
export interface Instrument {
  readonly symbol: Symbol;
  readonly base: string;
  readonly quote: string;
  /** Decimals of a price: EURUSD 5, USDJPY 3. One tick = 10^-priceScale. */
  readonly priceScale: number;
  /** Minimum price increment, in ticks (1 = every 10^-priceScale step is valid). */
  readonly tickSize: PriceTicks;
  /** Quantity increment, in base-currency units. */
  readonly lotSize: Qty;
  readonly minQty: Qty;
  readonly maxQty: Qty;
  /** A MARKET order never trades further than this many ticks from the best opposite price at its arrival. */
  readonly marketCollarTicks: PriceTicks;
  /** Pre-trade risk: a limit price further than this from the reference price is rejected. Absent: no band. */
  readonly priceBandTicks?: PriceTicks;
  readonly enabled: boolean;
}
