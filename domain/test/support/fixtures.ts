// Builders for commands and decision contexts: valid by default, overridden per test.

import {
  type AccountRiskProfile,
  accountId,
  type CancelOrder,
  type CancelOrderContext,
  clOrdId,
  type Instrument,
  instrumentCatalog,
  type PlaceOrder,
  type PlaceOrderContext,
  priceTicks,
  qty,
  REFERENCE_INSTRUMENTS,
  type ReplaceOrder,
  type ReplaceOrderContext,
  type RiskContext,
  orderId,
  timestampNs,
  ZERO_NOTIONAL,
} from "../../src/index.ts";

/** Monday 2024-06-10 12:00:00 UTC (08:00 New York, EDT). */
export const T0 = timestampNs(1_718_020_800_000_000_000n);
export const SECOND = 1_000_000_000n;

export const ACCOUNT = accountId("ACC-1");

export const profile = (over: Partial<AccountRiskProfile> = {}): AccountRiskProfile => ({
  account: ACCOUNT,
  enabled: true,
  maxOrderQty: qty(10_000_000),
  maxNotional: 20_000_000n,
  creditLimit: 50_000_000n,
  ...over,
});

export const riskContext = (over: Partial<RiskContext> = {}): RiskContext => ({
  profile: profile(),
  openExposure: ZERO_NOTIONAL,
  referencePrice: priceTicks(110_000),
  ...over,
});

/** The reference data plus a halted test pair. */
export const HALTED: Instrument = {
  ...REFERENCE_INSTRUMENTS[0]!,
  symbol: "XAUXAG" as Instrument["symbol"],
  base: "XAU",
  quote: "XAG",
  enabled: false,
};
export const CATALOG = instrumentCatalog([...REFERENCE_INSTRUMENTS, HALTED]);

export const placeContext = (over: Partial<PlaceOrderContext> = {}): PlaceOrderContext => ({
  instruments: CATALOG,
  duplicateClOrdId: false,
  risk: riskContext(),
  ...over,
});

export const cancelContext = (over: Partial<CancelOrderContext> = {}): CancelOrderContext => ({
  duplicateClOrdId: false,
  ...over,
});

export const replaceContext = (over: Partial<ReplaceOrderContext> = {}): ReplaceOrderContext => ({
  instruments: CATALOG,
  duplicateClOrdId: false,
  risk: riskContext(),
  ...over,
});

export const place = (over: Partial<PlaceOrder> = {}): PlaceOrder => ({
  type: "PlaceOrder",
  orderId: orderId("O-1"),
  clOrdId: clOrdId("C-1"),
  account: ACCOUNT,
  symbol: "EURUSD",
  side: "BUY",
  ordType: "LIMIT",
  price: "1.10000",
  orderQty: "1000000",
  tif: "GTC",
  expireTime: null,
  minQty: null,
  postOnly: false,
  stpMode: "NONE",
  transactTime: T0,
  ...over,
});

export const cancel = (over: Partial<CancelOrder> = {}): CancelOrder => ({
  type: "CancelOrder",
  clOrdId: clOrdId("C-2"),
  origClOrdId: clOrdId("C-1"),
  account: ACCOUNT,
  symbol: "EURUSD",
  side: "BUY",
  transactTime: timestampNs(T0 + SECOND),
  ...over,
});

export const replace = (over: Partial<ReplaceOrder> = {}): ReplaceOrder => ({
  type: "ReplaceOrder",
  clOrdId: clOrdId("C-2"),
  origClOrdId: clOrdId("C-1"),
  account: ACCOUNT,
  symbol: "EURUSD",
  side: "BUY",
  ordType: "LIMIT",
  price: "1.10010",
  orderQty: "2000000",
  transactTime: timestampNs(T0 + SECOND),
  ...over,
});
