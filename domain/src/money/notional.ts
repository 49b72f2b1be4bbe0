// Notional = price × quantity. Kept exact as a BigInt count of 10^-priceScale
// units of the quote currency: accounting code (risk, average price, P&L) is
// the only place BigInt money appears; the book itself stays in safe integers.

import type { Instrument } from "../instruments/instrument.ts";
import type { Brand, PriceTicks, Qty } from "../values.ts";
import { formatScaled } from "./decimal.ts";

/** Quote-currency amount in units of 10^-priceScale (price ticks × base units). */
export type Notional = Brand<bigint, "Notional">;

export const notional = (price: PriceTicks, q: Qty): Notional =>
  (BigInt(price) * BigInt(q)) as Notional;

export const sumNotional = (a: Notional, b: Notional): Notional => (a + b) as Notional;

export const ZERO_NOTIONAL = 0n as Notional;

/** A whole quote-currency amount (e.g. an account limit of 10,000,000 USD) as a Notional of this instrument. */
export const notionalOfQuoteUnits = (units: bigint, instrument: Instrument): Notional =>
  (units * 10n ** BigInt(instrument.priceScale)) as Notional;

/** "110000.00000" USD for 100,000 EURUSD at 1.10000. */
export const formatNotional = (n: Notional, instrument: Instrument): string =>
  formatScaled(n, instrument.priceScale);
