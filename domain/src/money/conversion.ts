// Client decimal strings -> instrument ticks and units, with one typed reason
// per way a value can be wrong. The decider maps these to FIX reject codes.

import type { Instrument } from "../instruments/instrument.ts";
import { err, ok, type PriceTicks, priceTicks, type Qty, qty, type Result } from "../values.ts";
import { type DecimalErrorReason, formatScaled, parseScaled } from "./decimal.ts";

export type PriceErrorReason = DecimalErrorReason | "OFF_TICK";
export type QtyErrorReason = DecimalErrorReason | "OFF_LOT" | "BELOW_MIN" | "ABOVE_MAX";

export interface PriceError {
  readonly reason: PriceErrorReason;
  readonly input: string;
  readonly text: string;
}
export interface QtyError {
  readonly reason: QtyErrorReason;
  readonly input: string;
  readonly text: string;
}

/** A price in ticks of the instrument: positive, at most priceScale decimals, a multiple of tickSize. */
export const parsePrice = (
  input: string,
  instrument: Instrument,
): Result<PriceTicks, PriceError> => {
  const parsed = parseScaled(input, instrument.priceScale);
  if (!parsed.ok) return err({ ...parsed.error, text: `price ${parsed.error.text}` });
  if (parsed.value % instrument.tickSize !== 0) {
    const tick = formatScaled(instrument.tickSize, instrument.priceScale);
    return err({
      reason: "OFF_TICK",
      input,
      text: `price ${input} is not a multiple of the tick ${tick}`,
    });
  }
  return ok(priceTicks(parsed.value));
};

/** A quantity in base-currency units: a whole number, a multiple of lotSize, within [minQty, maxQty]. */
export const parseQty = (input: string, instrument: Instrument): Result<Qty, QtyError> => {
  const parsed = parseScaled(input, 0);
  if (!parsed.ok) return err({ ...parsed.error, text: `quantity ${parsed.error.text}` });
  const n = parsed.value;
  if (n % instrument.lotSize !== 0) {
    return err({
      reason: "OFF_LOT",
      input,
      text: `quantity ${input} is not a multiple of the lot ${instrument.lotSize}`,
    });
  }
  if (n < instrument.minQty) {
    return err({
      reason: "BELOW_MIN",
      input,
      text: `quantity ${input} is below the minimum ${instrument.minQty}`,
    });
  }
  if (n > instrument.maxQty) {
    return err({
      reason: "ABOVE_MAX",
      input,
      text: `quantity ${input} is above the maximum ${instrument.maxQty}`,
    });
  }
  return ok(qty(n));
};

/** "1.10000" for 110000 ticks of EURUSD: always priceScale decimals. */
export const formatPrice = (price: PriceTicks, instrument: Instrument): string =>
  formatScaled(price, instrument.priceScale);

/** "1000000". */
export const formatQty = (q: Qty): string => formatScaled(q, 0);
