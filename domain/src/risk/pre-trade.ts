// Pre-trade risk, pure: the shell loads the account's profile, its open
// exposure and a reference price, and passes them in. Amounts are compared
// exactly as BigInt notionals (price ticks × units), never as floats.

import type { Instrument } from "../instruments/instrument.ts";
import { formatPrice } from "../money/conversion.ts";
import {
  formatNotional,
  type Notional,
  notional,
  notionalOfQuoteUnits,
  sumNotional,
} from "../money/notional.ts";
import type { AccountId, OrdType, PriceTicks, Qty, Result, Side } from "../values.ts";
import { err, ok } from "../values.ts";

/** An account's trading permissions and limits. Amounts are whole units of the order's quote currency. */
export interface AccountRiskProfile {
  readonly account: AccountId;
  readonly enabled: boolean;
  /** Largest single order, in base units. */
  readonly maxOrderQty: Qty;
  /** Largest single order notional (price × qty), in whole quote-currency units. */
  readonly maxNotional: bigint;
  /** Ceiling on open exposure plus this order, in whole quote-currency units. */
  readonly creditLimit: bigint;
}

/** What the shell knows about the account and the market when the order arrives. */
export interface RiskContext {
  /** null: the account does not exist. */
  readonly profile: AccountRiskProfile | null;
  /**
   * Σ price × leaves of the account's open orders on this instrument. For a
   * replace, excluding the order being replaced (its new size is counted instead).
   */
  readonly openExposure: Notional;
  /** Last trade or mid of the book, as the shell sees it; null when there is none. */
  readonly referencePrice: PriceTicks | null;
}

export interface RiskOrder {
  readonly instrument: Instrument;
  readonly side: Side;
  readonly ordType: OrdType;
  /** Limit price; null for MARKET. */
  readonly price: PriceTicks | null;
  readonly qty: Qty;
}

export type RiskRule =
  | "INSTRUMENT_DISABLED"
  | "ACCOUNT_UNKNOWN"
  | "ACCOUNT_DISABLED"
  | "MAX_ORDER_QTY"
  | "PRICE_BAND"
  | "MAX_NOTIONAL"
  | "CREDIT_LIMIT";

export interface RiskViolation {
  readonly rule: RiskRule;
  readonly text: string;
}

const violation = (rule: RiskRule, text: string): Result<never, RiskViolation> =>
  err({ rule, text });

/** May this account trade this instrument at all? Checked before the order's fields are looked at. */
export const checkTradingAllowed = (
  instrument: Instrument,
  ctx: RiskContext,
): Result<AccountRiskProfile, RiskViolation> => {
  if (!instrument.enabled) {
    return violation("INSTRUMENT_DISABLED", `${instrument.symbol} is not open for trading`);
  }
  const profile = ctx.profile;
  if (profile === null) return violation("ACCOUNT_UNKNOWN", "unknown account");
  if (!profile.enabled)
    return violation("ACCOUNT_DISABLED", `account ${profile.account} is disabled`);
  return ok(profile);
};

/**
 * The first limit the order breaks, in a fixed order. A MARKET order is valued
 * at the reference price; without one its notional checks are skipped (its
 * quantity limit still applies, and the matcher bounds its price by the collar).
 */
export const checkLimits = (
  order: RiskOrder,
  profile: AccountRiskProfile,
  ctx: RiskContext,
): Result<void, RiskViolation> => {
  const { instrument } = order;
  if (order.qty > profile.maxOrderQty) {
    return violation(
      "MAX_ORDER_QTY",
      `quantity ${order.qty} exceeds the account's maximum order quantity ${profile.maxOrderQty}`,
    );
  }
  const ref = ctx.referencePrice;
  if (order.price !== null && ref !== null && instrument.priceBandTicks !== undefined) {
    if (Math.abs(order.price - ref) > instrument.priceBandTicks) {
      return violation(
        "PRICE_BAND",
        `price ${formatPrice(order.price, instrument)} is more than ${formatPrice(instrument.priceBandTicks, instrument)} from the reference price ${formatPrice(ref, instrument)}`,
      );
    }
  }
  const valuation = order.price ?? ref;
  if (valuation === null) return ok(undefined);
  const value = notional(valuation, order.qty);
  if (value > notionalOfQuoteUnits(profile.maxNotional, instrument)) {
    return violation(
      "MAX_NOTIONAL",
      `notional ${formatNotional(value, instrument)} ${instrument.quote} exceeds the account's maximum ${profile.maxNotional} ${instrument.quote}`,
    );
  }
  const exposure = sumNotional(ctx.openExposure, value);
  if (exposure > notionalOfQuoteUnits(profile.creditLimit, instrument)) {
    return violation(
      "CREDIT_LIMIT",
      `open exposure ${formatNotional(exposure, instrument)} ${instrument.quote} with this order exceeds the credit limit ${profile.creditLimit} ${instrument.quote}`,
    );
  }
  return ok(undefined);
};

/** All pre-trade rules: trading allowed, then limits. */
export const checkPreTrade = (order: RiskOrder, ctx: RiskContext): Result<void, RiskViolation> => {
  const allowed = checkTradingAllowed(order.instrument, ctx);
  return allowed.ok ? checkLimits(order, allowed.value, ctx) : allowed;
};
