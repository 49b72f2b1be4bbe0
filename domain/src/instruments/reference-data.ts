// Static reference data for the spot pairs the venue lists. Prices are ticks of
// 10^-priceScale, quantities units of the base currency.

import { err, ok, priceTicks, qty, type Result, type Symbol, symbol } from "../values.ts";
import type { Instrument } from "./instrument.ts";

interface PairSpec {
  readonly base: string;
  readonly quote: string;
  readonly priceScale: number;
  readonly tickSize?: number;
  readonly enabled?: boolean;
}

// Common FX venue conventions: 1,000-unit lots (micro lots), a 50M clip, a
// market collar of 50 pips and a limit-price band of 500 pips around the
// reference price (fat-finger guard).
const pair = (spec: PairSpec): Instrument => {
  // One pip is 10 ticks at both scales (0.0001 with 5 decimals, 0.01 with 3).
  const pip = 10;
  return {
    symbol: symbol(spec.base + spec.quote),
    base: spec.base,
    quote: spec.quote,
    priceScale: spec.priceScale,
    tickSize: priceTicks(spec.tickSize ?? 1),
    lotSize: qty(1_000),
    minQty: qty(1_000),
    maxQty: qty(50_000_000),
    marketCollarTicks: priceTicks(50 * pip),
    priceBandTicks: priceTicks(500 * pip),
    enabled: spec.enabled ?? true,
  };
};

/** The listed pairs. EURGBP trades in half-pip ticks (5 ticks of 0.00001); USDTRY is listed but halted. */
export const REFERENCE_INSTRUMENTS: readonly Instrument[] = [
  pair({ base: "EUR", quote: "USD", priceScale: 5 }),
  pair({ base: "GBP", quote: "USD", priceScale: 5 }),
  pair({ base: "USD", quote: "JPY", priceScale: 3 }),
  pair({ base: "USD", quote: "CHF", priceScale: 5 }),
  pair({ base: "AUD", quote: "USD", priceScale: 5 }),
  pair({ base: "USD", quote: "CAD", priceScale: 5 }),
  pair({ base: "NZD", quote: "USD", priceScale: 5 }),
  pair({ base: "EUR", quote: "GBP", priceScale: 5, tickSize: 5 }),
  pair({ base: "EUR", quote: "JPY", priceScale: 3 }),
  pair({ base: "GBP", quote: "JPY", priceScale: 3 }),
  pair({ base: "EUR", quote: "CHF", priceScale: 5 }),
  pair({ base: "USD", quote: "TRY", priceScale: 5, enabled: false }),
];

/** Instruments by symbol. Built once by the shell (or a test) and passed into the decider. */
export type InstrumentCatalog = ReadonlyMap<Symbol, Instrument>;

export const instrumentCatalog = (instruments: readonly Instrument[]): InstrumentCatalog =>
  new Map(instruments.map((i) => [i.symbol, i]));

export const REFERENCE_CATALOG: InstrumentCatalog = instrumentCatalog(REFERENCE_INSTRUMENTS);

export interface UnknownSymbol {
  readonly reason: "UNKNOWN_SYMBOL";
  readonly symbol: string;
  readonly text: string;
}

/** Finds an instrument by its code ("EURUSD"). Disabled instruments are found: being halted is the caller's rule. */
export const lookupInstrument = (
  catalog: InstrumentCatalog,
  code: string,
): Result<Instrument, UnknownSymbol> => {
  const found = catalog.get(code as Symbol);
  return found
    ? ok(found)
    : err({
        reason: "UNKNOWN_SYMBOL",
        symbol: code,
        text: `unknown symbol ${JSON.stringify(code)}`,
      });
};

/** "EUR/USD". */
export const displayName = (instrument: Instrument): string =>
  `${instrument.base}/${instrument.quote}`;
