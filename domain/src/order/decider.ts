// The command side's decider for one order stream (Emmett style, pure):
// decide(command, state, context) → events. Everything the shell had to look
// up (instruments, ClOrdID uniqueness, risk profile, exposure, reference
// price) comes in the context, so each outcome is visible in the input.
// The command side never decides whether an order is still open (DESIGN rule
// 4): a cancel or replace of a known order becomes a request the matcher answers.

import type { CancelOrder, Command, PlaceOrder, ReplaceOrder } from "../commands.ts";
import type {
  CancelRejected,
  DomainEvent,
  OrderAccepted,
  OrderCancelRequested,
  OrderRejected,
  OrderReplaceRequested,
  ReplaceRejected,
} from "../events.ts";
import { CxlRejReason, OrdRejReason } from "../fix.ts";
import type { Instrument } from "../instruments/instrument.ts";
import { type InstrumentCatalog, lookupInstrument } from "../instruments/reference-data.ts";
import { parsePrice, parseQty } from "../money/conversion.ts";
import {
  checkLimits,
  checkTradingAllowed,
  type RiskContext,
  type RiskRule,
} from "../risk/pre-trade.ts";
import { nextSessionClose } from "../session/session-close.ts";
import type { ClOrdId, PriceTicks, Qty, Result, Symbol, TimestampNs } from "../values.ts";
import { err, ok } from "../values.ts";
import { evolve, initialOrderState, type OrderState } from "./order-state.ts";

export interface PlaceOrderContext {
  readonly instruments: InstrumentCatalog;
  /** The shell's uniqueness lookup: this account has used this ClOrdID before. */
  readonly duplicateClOrdId: boolean;
  readonly risk: RiskContext;
}

export interface CancelOrderContext {
  /** The cancel request's own ClOrdID was used before by this account. */
  readonly duplicateClOrdId: boolean;
}

export interface ReplaceOrderContext {
  readonly instruments: InstrumentCatalog;
  readonly duplicateClOrdId: boolean;
  /** Exposure must exclude the order being replaced (its new size is what is checked). */
  readonly risk: RiskContext;
}

export type DecisionContext<C extends Command> = C extends PlaceOrder
  ? PlaceOrderContext
  : C extends CancelOrder
    ? CancelOrderContext
    : ReplaceOrderContext;

/** Risk rules → FIX OrdRejReason. Limits are "order exceeds limit" (3). */
const RISK_REASON: Record<RiskRule, OrdRejReason> = {
  INSTRUMENT_DISABLED: OrdRejReason.ExchangeClosed,
  ACCOUNT_UNKNOWN: OrdRejReason.UnknownAccount,
  ACCOUNT_DISABLED: OrdRejReason.Other,
  MAX_ORDER_QTY: OrdRejReason.OrderExceedsLimit,
  PRICE_BAND: OrdRejReason.OrderExceedsLimit,
  MAX_NOTIONAL: OrdRejReason.OrderExceedsLimit,
  CREDIT_LIMIT: OrdRejReason.OrderExceedsLimit,
};

const ORD_TYPES = new Set<string>(["LIMIT", "MARKET"]);
const TIFS = new Set<string>(["DAY", "GTC", "IOC", "FOK", "GTD"]);
const STP_MODES = new Set<string>(["NONE", "CANCEL_NEWEST", "CANCEL_OLDEST", "CANCEL_BOTH"]);

interface Rejection {
  readonly reason: OrdRejReason;
  readonly text: string;
}
const reject = (reason: OrdRejReason, text: string): Result<never, Rejection> =>
  err({ reason, text });

/**
 * The order's characteristics, before any number is converted. FIX's default
 * TimeInForce is DAY, so a MARKET order may say DAY (it never rests anyway);
 * GTC/GTD on a MARKET order is refused rather than silently reinterpreted.
 * Side is not re-checked: OrderRejected must carry a valid one, so an invalid
 * side is the gateway's session-level reject (373=5) before any command exists.
 */
const checkCharacteristics = (c: PlaceOrder): Result<void, Rejection> => {
  const U = OrdRejReason.UnsupportedOrderCharacteristic;
  if (!ORD_TYPES.has(c.ordType))
    return reject(U, `unsupported OrdType ${JSON.stringify(c.ordType)}`);
  if (!TIFS.has(c.tif)) return reject(U, `unsupported TimeInForce ${JSON.stringify(c.tif)}`);
  if (!STP_MODES.has(c.stpMode))
    return reject(U, `unsupported self-trade prevention ${JSON.stringify(c.stpMode)}`);
  if (c.ordType === "MARKET") {
    if (c.price !== null) return reject(U, "a MARKET order carries no price");
    if (c.postOnly) return reject(U, "a MARKET order cannot be post-only");
    if (c.tif === "GTC" || c.tif === "GTD") return reject(U, `a MARKET order cannot be ${c.tif}`);
  } else if (c.price === null) {
    return reject(OrdRejReason.Other, "a LIMIT order requires a price");
  }
  if (c.postOnly && (c.tif === "IOC" || c.tif === "FOK")) {
    return reject(U, `a post-only order must rest: ${c.tif} is not allowed`);
  }
  if (c.tif === "FOK" && c.minQty !== null) return reject(U, "MinQty is not allowed on FOK");
  if (c.tif !== "GTD" && c.expireTime !== null)
    return reject(U, "ExpireTime is only allowed with GTD");
  return ok(undefined);
};

/** GTD: the client's ExpireTime, which must be after TransactTime. DAY: the next 17:00 New York close. */
const expireTimeOf = (c: PlaceOrder): Result<TimestampNs | null, Rejection> => {
  switch (c.tif) {
    case "GTD":
      if (c.expireTime === null) return reject(OrdRejReason.Other, "GTD requires an ExpireTime");
      if (c.expireTime <= c.transactTime) {
        return reject(OrdRejReason.Other, "ExpireTime must be after TransactTime");
      }
      return ok(c.expireTime);
    case "DAY":
      return ok(nextSessionClose(c.transactTime));
    default:
      return ok(null);
  }
};

const validatePlace = (
  c: PlaceOrder,
  state: OrderState,
  ctx: PlaceOrderContext,
): Result<OrderAccepted, Rejection> => {
  if (state.status !== null) {
    return reject(OrdRejReason.DuplicateOrder, `order id ${state.orderId} is already in use`);
  }
  if (ctx.duplicateClOrdId)
    return reject(OrdRejReason.DuplicateOrder, `duplicate ClOrdID ${c.clOrdId}`);
  if (c.clOrdId.length === 0) return reject(OrdRejReason.Other, "ClOrdID is empty");
  const found = lookupInstrument(ctx.instruments, c.symbol);
  if (!found.ok) return reject(OrdRejReason.UnknownSymbol, found.error.text);
  const instrument = found.value;
  const allowed = checkTradingAllowed(instrument, ctx.risk);
  if (!allowed.ok) return reject(RISK_REASON[allowed.error.rule], allowed.error.text);
  if (allowed.value.account !== c.account)
    return reject(OrdRejReason.UnknownAccount, "unknown account");
  const characteristics = checkCharacteristics(c);
  if (!characteristics.ok) return characteristics;
  const orderQty = parseQty(c.orderQty, instrument);
  if (!orderQty.ok) return reject(OrdRejReason.IncorrectQuantity, orderQty.error.text);
  let minQty: Qty | null = null;
  if (c.minQty !== null) {
    const parsed = parseQty(c.minQty, instrument);
    if (!parsed.ok) return reject(OrdRejReason.IncorrectQuantity, `MinQty: ${parsed.error.text}`);
    if (parsed.value > orderQty.value) {
      return reject(
        OrdRejReason.IncorrectQuantity,
        `MinQty ${c.minQty} exceeds OrderQty ${c.orderQty}`,
      );
    }
    minQty = parsed.value;
  }
  let price: PriceTicks | null = null;
  if (c.price !== null) {
    const parsed = parsePrice(c.price, instrument);
    if (!parsed.ok) return reject(OrdRejReason.Other, parsed.error.text);
    price = parsed.value;
  }
  const expireTime = expireTimeOf(c);
  if (!expireTime.ok) return expireTime;
  const limits = checkLimits(
    { instrument, side: c.side, ordType: c.ordType, price, qty: orderQty.value },
    allowed.value,
    ctx.risk,
  );
  if (!limits.ok) return reject(RISK_REASON[limits.error.rule], limits.error.text);
  return ok({
    type: "OrderAccepted",
    orderId: c.orderId,
    clOrdId: c.clOrdId,
    account: c.account,
    symbol: instrument.symbol,
    side: c.side,
    ordType: c.ordType,
    price,
    qty: orderQty.value,
    tif: c.tif,
    expireTime: expireTime.value,
    minQty,
    postOnly: c.postOnly,
    stpMode: c.stpMode,
    transactTime: c.transactTime,
  });
};

/** NewOrderSingle → OrderAccepted, or OrderRejected with the first reason that applies. */
export const decidePlace = (
  c: PlaceOrder,
  state: OrderState,
  ctx: PlaceOrderContext,
): [OrderAccepted] | [OrderRejected] => {
  const decision = validatePlace(c, state, ctx);
  if (decision.ok) return [decision.value];
  return [
    {
      type: "OrderRejected",
      // A reused order id must not attach this reject to the existing order's stream.
      orderId: state.status === null ? c.orderId : null,
      clOrdId: c.clOrdId,
      account: c.account,
      symbol: c.symbol,
      side: c.side,
      reason: decision.error.reason,
      text: decision.error.text,
      transactTime: c.transactTime,
    },
  ];
};

interface CxlRejection {
  readonly reason: CxlRejReason;
  readonly text: string;
}

/** FIX: OrigClOrdID is the previous non-rejected ClOrdID, so a still-pending request's counts too. */
const namesOrder = (state: OrderState, origClOrdId: ClOrdId): boolean =>
  state.clOrdIdChain.includes(origClOrdId) || state.pending.some((p) => p.clOrdId === origClOrdId);

/**
 * What cancel and replace share: the request must name an order this account
 * owns (by any ClOrdID in its chain) and match its symbol and side. An order
 * rejected at entry never existed for the book: unknown. Whether it is still
 * open is the matcher's answer, not ours.
 */
const checkTarget = (
  c: CancelOrder | ReplaceOrder,
  state: OrderState,
  duplicateClOrdId: boolean,
): Result<OrderState & { readonly orderId: NonNullable<OrderState["orderId"]> }, CxlRejection> => {
  if (duplicateClOrdId) {
    return err({ reason: CxlRejReason.DuplicateClOrdId, text: `duplicate ClOrdID ${c.clOrdId}` });
  }
  const unknown = err({
    reason: CxlRejReason.UnknownOrder,
    text: `unknown order ${c.origClOrdId}`,
  });
  // ordType is set only by OrderAccepted: a stream with no acceptance is no order.
  if (state.status === null || state.orderId === null || state.ordType === null) return unknown;
  if (state.account !== c.account || !namesOrder(state, c.origClOrdId)) return unknown;
  if (state.symbol !== c.symbol) {
    return err({
      reason: CxlRejReason.Other,
      text: `symbol ${c.symbol} does not match the order's ${state.symbol}`,
    });
  }
  if (state.side !== c.side) {
    return err({
      reason: CxlRejReason.Other,
      text: `side ${c.side} does not match the order's ${state.side}`,
    });
  }
  return ok(state as OrderState & { readonly orderId: NonNullable<OrderState["orderId"]> });
};

const cxlRejectFields = (c: CancelOrder | ReplaceOrder, state: OrderState, r: CxlRejection) => ({
  orderId: state.orderId,
  clOrdId: c.clOrdId,
  origClOrdId: c.origClOrdId,
  account: c.account,
  symbol: c.symbol,
  reason: r.reason,
  text: r.text,
  transactTime: c.transactTime,
});

/** OrderCancelRequest (F) → OrderCancelRequested, or CancelRejected (unknown order 1, duplicate ClOrdID 6, other 99). */
export const decideCancel = (
  c: CancelOrder,
  state: OrderState,
  ctx: CancelOrderContext,
): [OrderCancelRequested] | [CancelRejected] => {
  const target = checkTarget(c, state, ctx.duplicateClOrdId);
  if (!target.ok) return [{ type: "CancelRejected", ...cxlRejectFields(c, state, target.error) }];
  return [
    {
      type: "OrderCancelRequested",
      orderId: target.value.orderId,
      clOrdId: c.clOrdId,
      origClOrdId: c.origClOrdId,
      account: c.account,
      symbol: c.symbol as Symbol,
      side: c.side,
      transactTime: c.transactTime,
    },
  ];
};

/**
 * The new price and quantity of a replace, converted and risk-checked like a
 * new order. FIX has no CxlRejReason for a bad value, so these are Other (99)
 * with the reason in the text. Changing OrdType is not supported.
 */
const validateReplace = (
  c: ReplaceOrder,
  state: OrderState,
  ctx: ReplaceOrderContext,
): Result<{ price: PriceTicks | null; qty: Qty; instrument: Instrument }, CxlRejection> => {
  const other = (text: string) => err({ reason: CxlRejReason.Other, text });
  if (c.ordType !== state.ordType)
    return other(`OrdType cannot change from ${state.ordType} to ${c.ordType}`);
  const found = lookupInstrument(ctx.instruments, c.symbol);
  if (!found.ok) return other(found.error.text);
  const instrument = found.value;
  const allowed = checkTradingAllowed(instrument, ctx.risk);
  if (!allowed.ok) return other(allowed.error.text);
  if (c.ordType === "MARKET" && c.price !== null) return other("a MARKET order carries no price");
  if (c.ordType === "LIMIT" && c.price === null) return other("a LIMIT order requires a price");
  const qty = parseQty(c.orderQty, instrument);
  if (!qty.ok) return other(qty.error.text);
  let price: PriceTicks | null = null;
  if (c.price !== null) {
    const parsed = parsePrice(c.price, instrument);
    if (!parsed.ok) return other(parsed.error.text);
    price = parsed.value;
  }
  const limits = checkLimits(
    { instrument, side: c.side, ordType: c.ordType, price, qty: qty.value },
    allowed.value,
    ctx.risk,
  );
  if (!limits.ok) return other(limits.error.text);
  return ok({ price, qty: qty.value, instrument });
};

/** OrderCancelReplaceRequest (G) → OrderReplaceRequested, or ReplaceRejected. */
export const decideReplace = (
  c: ReplaceOrder,
  state: OrderState,
  ctx: ReplaceOrderContext,
): [OrderReplaceRequested] | [ReplaceRejected] => {
  const target = checkTarget(c, state, ctx.duplicateClOrdId);
  if (!target.ok) return [{ type: "ReplaceRejected", ...cxlRejectFields(c, state, target.error) }];
  const valid = validateReplace(c, state, ctx);
  if (!valid.ok) return [{ type: "ReplaceRejected", ...cxlRejectFields(c, state, valid.error) }];
  return [
    {
      type: "OrderReplaceRequested",
      orderId: target.value.orderId,
      clOrdId: c.clOrdId,
      origClOrdId: c.origClOrdId,
      account: c.account,
      symbol: valid.value.instrument.symbol,
      side: c.side,
      price: valid.value.price,
      qty: valid.value.qty,
      transactTime: c.transactTime,
    },
  ];
};

/** One entry point for the shell: the events a command produces on an order stream. */
export const decide = <C extends Command>(
  command: C,
  state: OrderState,
  context: DecisionContext<C>,
): readonly DomainEvent[] => {
  const c: Command = command;
  switch (c.type) {
    case "PlaceOrder":
      return decidePlace(c, state, context as PlaceOrderContext);
    case "CancelOrder":
      return decideCancel(c, state, context as CancelOrderContext);
    case "ReplaceOrder":
      return decideReplace(c, state, context as ReplaceOrderContext);
  }
};

/** The decider as one value, for shells that take Emmett-shaped deciders. */
export const orderDecider = {
  decide,
  evolve,
  initialState: (): OrderState => initialOrderState,
} as const;
