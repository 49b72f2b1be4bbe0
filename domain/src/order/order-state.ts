// The FIX order state machine of one order, folded from every event about it:
// the command side's (accepted, rejected, cancel/replace requested) and the
// matcher's (trades, cancels, expiries, replaces, rejects of cancel/replace).
// An event the machine cannot take is returned as an OrderViolation, never
// applied: projections and the gateway must not paper over a broken stream.

import type { DomainEvent, OrderAccepted, OrderRejected } from "../events.ts";
import { ExecType, type OrdRejReason, OrdStatus } from "../fix.ts";
import { type Notional, notional, sumNotional, ZERO_NOTIONAL } from "../money/notional.ts";
import {
  type AccountId,
  type ClOrdId,
  type ExecId,
  err,
  type OrderId,
  type OrdType,
  ok,
  type PriceTicks,
  type Qty,
  qty,
  type Result,
  type Side,
  type StpMode,
  type TimeInForce,
  type TimestampNs,
} from "../values.ts";

export interface PendingRequest {
  readonly kind: "CANCEL" | "REPLACE";
  readonly clOrdId: ClOrdId;
  readonly origClOrdId: ClOrdId;
  /** REPLACE only: the requested price and total quantity. */
  readonly price: PriceTicks | null;
  readonly qty: Qty | null;
}

export interface Fill {
  readonly execId: ExecId;
  readonly price: PriceTicks;
  readonly qty: Qty;
  readonly role: "MAKER" | "TAKER";
}

export interface OrderState {
  /** null until the first event: no such order. */
  readonly status: OrdStatus | null;
  readonly orderId: OrderId | null;
  /** The ClOrdID now in force (changes with each replace and with the cancel). */
  readonly clOrdId: ClOrdId | null;
  readonly origClOrdId: ClOrdId | null;
  /** Every ClOrdID the order has had, oldest first: OrigClOrdID may name any of them. */
  readonly clOrdIdChain: readonly ClOrdId[];
  readonly account: AccountId | null;
  /** Raw symbol: a rejected order may carry an unknown one. */
  readonly symbol: string | null;
  readonly side: Side | null;
  /** null for an order rejected at entry (its fields never converted). */
  readonly ordType: OrdType | null;
  readonly price: PriceTicks | null;
  readonly orderQty: Qty;
  readonly cumQty: Qty;
  readonly leavesQty: Qty;
  readonly tif: TimeInForce | null;
  readonly expireTime: TimestampNs | null;
  readonly minQty: Qty | null;
  readonly postOnly: boolean;
  readonly stpMode: StpMode | null;
  /** Σ lastPx × lastQty: AvgPx = tradedNotional / cumQty, exactly. */
  readonly tradedNotional: Notional;
  readonly fills: readonly Fill[];
  readonly lastExecType: ExecType | null;
  readonly pending: readonly PendingRequest[];
  readonly ordRejReason: OrdRejReason | null;
  readonly text: string | null;
  readonly transactTime: TimestampNs | null;
}

export const initialOrderState: OrderState = {
  status: null,
  orderId: null,
  clOrdId: null,
  origClOrdId: null,
  clOrdIdChain: [],
  account: null,
  symbol: null,
  side: null,
  ordType: null,
  price: null,
  orderQty: qty(0),
  cumQty: qty(0),
  leavesQty: qty(0),
  tif: null,
  expireTime: null,
  minQty: null,
  postOnly: false,
  stpMode: null,
  tradedNotional: ZERO_NOTIONAL,
  fills: [],
  lastExecType: null,
  pending: [],
  ordRejReason: null,
  text: null,
  transactTime: null,
};

const TERMINAL: ReadonlySet<OrdStatus> = new Set([
  OrdStatus.Filled,
  OrdStatus.Canceled,
  OrdStatus.Rejected,
  OrdStatus.Expired,
]);

export const isTerminal = (state: OrderState): boolean =>
  state.status !== null && TERMINAL.has(state.status);

export const isLive = (state: OrderState): boolean =>
  state.status === OrdStatus.New || state.status === OrdStatus.PartiallyFilled;

export type OrderViolationKind =
  | "NO_SUCH_ORDER"
  | "ALREADY_EXISTS"
  | "TERMINAL_ORDER_CHANGED"
  | "WRONG_ORDER"
  | "OVERFILL"
  | "DUPLICATE_EXEC_ID"
  | "QTY_MISMATCH"
  | "INVARIANT";

export interface OrderViolation {
  readonly kind: OrderViolationKind;
  readonly eventType: DomainEvent["type"] | null;
  readonly orderId: OrderId | null;
  readonly text: string;
}

const violation = (
  kind: OrderViolationKind,
  event: DomainEvent | null,
  state: OrderState,
  text: string,
): Result<never, OrderViolation> =>
  err({ kind, eventType: event?.type ?? null, orderId: state.orderId, text });

/** The FIX invariants, checked after every transition. null when they hold. */
export const checkInvariants = (s: OrderState): string | null => {
  if (s.status === null) return s.fills.length === 0 ? null : "fills on a non-existent order";
  let sumQty = 0;
  let sumNotional_ = ZERO_NOTIONAL;
  const ids = new Set<ExecId>();
  for (const f of s.fills) {
    sumQty += f.qty;
    sumNotional_ = sumNotional(sumNotional_, notional(f.price, f.qty));
    ids.add(f.execId);
  }
  if (ids.size !== s.fills.length) return "ExecIDs are not unique";
  if (s.cumQty !== sumQty) return `CumQty ${s.cumQty} != ΣLastQty ${sumQty}`;
  if (s.tradedNotional !== sumNotional_) return "traded notional != Σ LastPx × LastQty";
  if (s.cumQty > s.orderQty && s.status !== OrdStatus.Rejected) {
    return `CumQty ${s.cumQty} > OrderQty ${s.orderQty}`;
  }
  if (isTerminal(s)) {
    if (s.leavesQty !== 0) return `LeavesQty ${s.leavesQty} on a terminal order`;
    if (s.pending.length !== 0) return "pending request on a terminal order";
    if (s.status === OrdStatus.Filled && s.cumQty !== s.orderQty)
      return "Filled with CumQty != OrderQty";
    return null;
  }
  if (s.leavesQty !== s.orderQty - s.cumQty) {
    return `LeavesQty ${s.leavesQty} != OrderQty ${s.orderQty} - CumQty ${s.cumQty}`;
  }
  if (s.leavesQty <= 0) return "live order with nothing left";
  const expected = s.cumQty === 0 ? OrdStatus.New : OrdStatus.PartiallyFilled;
  if (s.status !== expected) return `OrdStatus ${s.status} with CumQty ${s.cumQty}`;
  return null;
};

const checked = (
  event: DomainEvent,
  before: OrderState,
  after: OrderState,
): Result<OrderState, OrderViolation> => {
  const broken = checkInvariants(after);
  return broken === null ? ok(after) : violation("INVARIANT", event, before, broken);
};

/** Terminal: nothing pending, nothing left. */
const terminate = (s: OrderState, status: OrdStatus, execType: ExecType): OrderState => ({
  ...s,
  status,
  leavesQty: qty(0),
  pending: [],
  lastExecType: execType,
});

const liveStatus = (cumQty: number): OrdStatus =>
  cumQty === 0 ? OrdStatus.New : OrdStatus.PartiallyFilled;

const withoutPending = (s: OrderState, clOrdId: ClOrdId): readonly PendingRequest[] =>
  s.pending.filter((p) => p.clOrdId !== clOrdId);

/** Events that answer or ask about an order without changing it (FIX OrderCancelReject, requests). */
const NON_CHANGING = new Set<DomainEvent["type"]>([
  "OrderCancelRequested",
  "OrderReplaceRequested",
  "CancelRejected",
  "ReplaceRejected",
  "TimeAdvanced",
]);

/** The order id an event is about, for this order's stream (trades name two orders). */
const concerns = (event: DomainEvent, orderId: OrderId | null): boolean => {
  switch (event.type) {
    case "TimeAdvanced":
      return true;
    case "TradeExecuted":
      return event.makerOrderId === orderId || event.takerOrderId === orderId;
    default:
      return event.orderId === orderId || event.orderId === null;
  }
};

/** An event naming this order but another account, symbol or side is as foreign as another order id. */
const identityMismatch = (event: DomainEvent, s: OrderState): string | null => {
  if (event.type === "TimeAdvanced") return null;
  if (event.symbol !== s.symbol) return `symbol ${event.symbol}, order is on ${s.symbol}`;
  if (event.type === "TradeExecuted") {
    const maker = event.makerOrderId === s.orderId;
    const account = maker ? event.makerAccount : event.takerAccount;
    if (account !== s.account) return `account ${account}, order belongs to ${s.account}`;
    // The taker is the aggressor; the maker is on the other side.
    if ((event.aggressorSide === s.side) === maker) {
      return `${maker ? "maker" : "taker"} of a ${event.aggressorSide}-aggressor trade cannot be a ${s.side} order`;
    }
    return null;
  }
  if (event.account !== s.account) return `account ${event.account}, order belongs to ${s.account}`;
  if (
    event.type !== "CancelRejected" &&
    event.type !== "ReplaceRejected" &&
    event.side !== s.side
  ) {
    return `side ${event.side}, order is ${s.side}`;
  }
  return null;
};

/**
 * Applies one event to the order. Returns the new state, or the violation the
 * event would cause: an event for another order, anything but a request or a
 * cancel/replace reject on a terminal order, an overfill, a repeated ExecID, or
 * quantities that disagree with the matcher's own CumQty/LeavesQty.
 */
export const evolve = (
  state: OrderState,
  event: DomainEvent,
): Result<OrderState, OrderViolation> => {
  if (event.type === "TimeAdvanced") return ok(state);
  if (state.status === null) return evolveNew(state, event);
  if (!concerns(event, state.orderId)) {
    return violation("WRONG_ORDER", event, state, `event is not about order ${state.orderId}`);
  }
  const mismatch = identityMismatch(event, state);
  if (mismatch !== null) return violation("WRONG_ORDER", event, state, mismatch);
  if (isTerminal(state)) {
    return NON_CHANGING.has(event.type)
      ? ok(state)
      : violation(
          "TERMINAL_ORDER_CHANGED",
          event,
          state,
          `${event.type} for order ${state.orderId} which is already in terminal status ${state.status}`,
        );
  }
  switch (event.type) {
    case "OrderAccepted":
      return violation(
        "ALREADY_EXISTS",
        event,
        state,
        `order ${state.orderId} was already accepted`,
      );
    case "OrderRejected": {
      // The matcher rejects an accepted order it cannot book (post-only that would take).
      if (state.cumQty !== 0) {
        return violation("INVARIANT", event, state, "reject of an order that already traded");
      }
      return checked(event, state, {
        ...terminate(state, OrdStatus.Rejected, ExecType.Rejected),
        ordRejReason: event.reason,
        text: event.text,
        transactTime: event.transactTime,
      });
    }
    case "OrderCancelRequested":
    case "OrderReplaceRequested": {
      const request: PendingRequest =
        event.type === "OrderCancelRequested"
          ? {
              kind: "CANCEL",
              clOrdId: event.clOrdId,
              origClOrdId: event.origClOrdId,
              price: null,
              qty: null,
            }
          : {
              kind: "REPLACE",
              clOrdId: event.clOrdId,
              origClOrdId: event.origClOrdId,
              price: event.price,
              qty: event.qty,
            };
      return ok({ ...state, pending: [...state.pending, request] });
    }
    case "CancelRejected":
    case "ReplaceRejected":
      return ok({ ...state, pending: withoutPending(state, event.clOrdId) });
    case "TradeExecuted": {
      const role = event.makerOrderId === state.orderId ? "MAKER" : "TAKER";
      if (state.fills.some((f) => f.execId === event.execId)) {
        return violation(
          "DUPLICATE_EXEC_ID",
          event,
          state,
          `ExecID ${event.execId} already applied`,
        );
      }
      const cumQty = state.cumQty + event.qty;
      if (event.qty <= 0 || cumQty > state.orderQty) {
        return violation(
          "OVERFILL",
          event,
          state,
          `fill of ${event.qty} on order ${state.orderId} with ${state.leavesQty} left`,
        );
      }
      const leavesQty = state.orderQty - cumQty;
      const reportedCum = role === "MAKER" ? event.makerCumQty : event.takerCumQty;
      const reportedLeaves = role === "MAKER" ? event.makerLeavesQty : event.takerLeavesQty;
      if (reportedCum !== cumQty || reportedLeaves !== leavesQty) {
        return violation(
          "QTY_MISMATCH",
          event,
          state,
          `matcher says CumQty ${reportedCum} LeavesQty ${reportedLeaves}, order has ${cumQty}/${leavesQty}`,
        );
      }
      const next: OrderState = {
        ...state,
        cumQty: qty(cumQty),
        leavesQty: qty(leavesQty),
        tradedNotional: sumNotional(state.tradedNotional, notional(event.price, event.qty)),
        fills: [...state.fills, { execId: event.execId, price: event.price, qty: event.qty, role }],
        lastExecType: ExecType.Trade,
        transactTime: event.transactTime,
        status: liveStatus(cumQty),
      };
      return checked(
        event,
        state,
        leavesQty === 0 ? terminate(next, OrdStatus.Filled, ExecType.Trade) : next,
      );
    }
    case "OrderCancelled":
    case "OrderExpired": {
      const gone = event.type === "OrderCancelled" ? event.cancelledQty : event.expiredQty;
      if (event.cumQty !== state.cumQty || gone !== state.leavesQty) {
        return violation(
          "QTY_MISMATCH",
          event,
          state,
          `matcher ${event.type} with CumQty ${event.cumQty}, qty ${gone}; order has ${state.cumQty}/${state.leavesQty}`,
        );
      }
      const ids =
        event.type === "OrderCancelled"
          ? {
              clOrdId: event.clOrdId,
              origClOrdId: event.origClOrdId,
              clOrdIdChain: [...state.clOrdIdChain, event.clOrdId],
            }
          : {};
      const done =
        event.type === "OrderCancelled"
          ? terminate(state, OrdStatus.Canceled, ExecType.Canceled)
          : terminate(state, OrdStatus.Expired, ExecType.Expired);
      return checked(event, state, { ...done, ...ids, transactTime: event.transactTime });
    }
    case "OrderReplaced": {
      if (
        event.qty <= 0 ||
        event.cumQty !== state.cumQty ||
        event.qty < state.cumQty ||
        event.leavesQty !== event.qty - state.cumQty
      ) {
        return violation(
          "QTY_MISMATCH",
          event,
          state,
          `replace to ${event.qty} with CumQty ${event.cumQty}, LeavesQty ${event.leavesQty}; order has CumQty ${state.cumQty}`,
        );
      }
      const next: OrderState = {
        ...state,
        clOrdId: event.clOrdId,
        origClOrdId: event.origClOrdId,
        clOrdIdChain: [...state.clOrdIdChain, event.clOrdId],
        price: event.price,
        orderQty: event.qty,
        leavesQty: event.leavesQty,
        pending: withoutPending(state, event.clOrdId),
        lastExecType: ExecType.Replaced,
        transactTime: event.transactTime,
      };
      // Replacing down to what is already filled completes the order.
      return checked(
        event,
        state,
        event.leavesQty === 0 ? terminate(next, OrdStatus.Filled, ExecType.Replaced) : next,
      );
    }
  }
};

/** What an order's first event fixes for good: its ids, account, pair and side. */
const entryOf = (event: OrderAccepted | OrderRejected) => ({
  orderId: event.orderId,
  clOrdId: event.clOrdId,
  clOrdIdChain: [event.clOrdId],
  account: event.account,
  symbol: event.symbol,
  side: event.side,
});

/** The first event of a stream: the order is accepted or rejected at entry. */
const evolveNew = (state: OrderState, event: DomainEvent): Result<OrderState, OrderViolation> => {
  switch (event.type) {
    case "OrderAccepted":
      return checked(event, state, {
        ...state,
        status: OrdStatus.New,
        ...entryOf(event),
        ordType: event.ordType,
        price: event.price,
        orderQty: event.qty,
        cumQty: qty(0),
        leavesQty: event.qty,
        tif: event.tif,
        expireTime: event.expireTime,
        minQty: event.minQty,
        postOnly: event.postOnly,
        stpMode: event.stpMode,
        lastExecType: ExecType.New,
        transactTime: event.transactTime,
      });
    case "OrderRejected":
      return checked(event, state, {
        ...state,
        status: OrdStatus.Rejected,
        ...entryOf(event),
        lastExecType: ExecType.Rejected,
        ordRejReason: event.reason,
        text: event.text,
        transactTime: event.transactTime,
      });
    default:
      return violation(
        "NO_SUCH_ORDER",
        event,
        state,
        `${event.type} before the order was accepted`,
      );
  }
};

/** Folds a whole stream; stops at the first violation and says which event caused it. */
export const evolveAll = (
  events: readonly DomainEvent[],
  from: OrderState = initialOrderState,
): Result<OrderState, OrderViolation & { readonly index: number }> => {
  let state = from;
  for (let i = 0; i < events.length; i++) {
    const next = evolve(state, events[i]!);
    if (!next.ok) return err({ ...next.error, index: i });
    state = next.value;
  }
  return ok(state);
};
