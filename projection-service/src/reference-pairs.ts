// The pair reference data projections need, from the domain's instrument catalog.
import { type InstrumentCatalog, REFERENCE_CATALOG, type Symbol } from "@fxcore/domain";
import type { PairLookup } from "./models/project.ts";

export const pairLookup =
  (catalog: InstrumentCatalog = REFERENCE_CATALOG): PairLookup =>
  (s) => {
    const i = catalog.get(s as Symbol);
    return i && { base: i.base, quote: i.quote, priceScale: i.priceScale };
  };
