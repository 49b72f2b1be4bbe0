// Orders read model: the current FIX state of each order. Events about one
// order arrive on two topics (OrderAccepted on fx.orders, matcher outputs on
// fx.executions) whose relative order the consumer cannot know, so the view
// is a merge: static fields come from OrderAccepted whenever it shows up,
// execution state from the matcher's seq-ordered outputs. Both orders of
// arrival converge to the same row (tested).
import {
  type DomainEvent,
  OrdStatus,
  type OrdType,
  type Side,
  type TimeInForce,
} from "@fxcore/domain";

export interface OrderView {
  readonly orderId: string;
  readonly account: string;
  readonly symbol: string;
  readonly side: Side;
  /** The ClOrdID the order is currently known by (changes on cancel/replace). */
  readonly clOrdId: string;
  readonly origClOrdId: string | null;
  /** Static fields: null until OrderAccepted has been seen. */
  readonly ordType: OrdType | null;
  readonly tif: TimeInForce | null;
  /** Limit price in ticks; null for MARKET or while unknown. */
  readonly price: number | null;
  /** Total OrderQty (FIX: includes what is filled). */
  readonly orderQty: number | null;
  readonly ordStatus: OrdStatus;
  readonly cumQty: number;
  /** null while only OrderAccepted-less matcher rejects are known. */
  readonly leavesQty: number;
  /** Σ LastQty × LastPx (ticks × units): AvgPx = notional / cumQty, exact. */
  readonly notional: bigint;
  readonly accepted: boolean;
  readonly replaced: boolean;
  /** Last matcher seq applied (pair sequence); guards against re-application. */
  readonly lastSeq: number | null;
  readonly text: string | null;
  readonly createdAt: bigint | null;
  readonly updatedAt: bigint;
}

const terminal: ReadonlySet<OrdStatus> = new Set([
  OrdStatus.Filled,
  OrdStatus.Canceled,
  OrdStatus.Rejected,
  OrdStatus.Expired,
]);
export const isTerminal = (s: OrdStatus): boolean => terminal.has(s);
export const isLive = (o: OrderView): boolean => !isTerminal(o.ordStatus);

const fillStatus = (cum: number, leaves: number): OrdStatus =>
  leaves === 0 && cum > 0 ? OrdStatus.Filled : cum > 0 ? OrdStatus.PartiallyFilled : OrdStatus.New;

const opposite = (s: Side): Side => (s === "BUY" ? "SELL" : "BUY");

/** Skeleton row for an order first seen through a matcher output. */
const skeleton = (
  orderId: string,
  account: string,
  symbol: string,
  side: Side,
  clOrdId: string,
  at: bigint,
): OrderView => ({
  orderId,
  account,
  symbol,
  side,
  clOrdId,
  origClOrdId: null,
  ordType: null,
  tif: null,
  price: null,
  orderQty: null,
  ordStatus: OrdStatus.New,
  cumQty: 0,
  leavesQty: 0,
  notional: 0n,
  accepted: false,
  replaced: false,
  lastSeq: null,
  text: null,
  createdAt: null,
  updatedAt: at,
});

const seen = (o: OrderView | undefined, seq: number): boolean =>
  o?.lastSeq != null && seq <= o.lastSeq;

/** Order ids an event changes (a trade changes two). */
export const orderIdsOf = (e: DomainEvent): string[] => {
  switch (e.type) {
    case "OrderAccepted":
    case "OrderCancelled":
    case "OrderExpired":
    case "OrderReplaced":
      return [e.orderId];
    case "OrderRejected":
      return e.orderId === null ? [] : [e.orderId];
    case "TradeExecuted":
      return [e.makerOrderId, e.takerOrderId];
    default:
      return [];
  }
};

/**
 * The new state of order `orderId` after `e`, or undefined when `e` does not
 * change it. `current` is the row as stored (undefined if none yet).
 */
export const evolveOrder = (
  current: OrderView | undefined,
  orderId: string,
  e: DomainEvent,
): OrderView | undefined => {
  switch (e.type) {
    case "OrderAccepted": {
      if (current?.accepted) return undefined;
      const base = current ?? {
        ...skeleton(e.orderId, e.account, e.symbol, e.side, e.clOrdId, e.transactTime),
        leavesQty: e.qty,
      };
      const known = current !== undefined;
      return {
        ...base,
        // A cancel/replace seen first already moved clOrdId on; keep it.
        clOrdId: known ? base.clOrdId : e.clOrdId,
        ordType: e.ordType,
        tif: e.tif,
        price: base.replaced ? base.price : e.price,
        orderQty: base.replaced ? base.orderQty : e.qty,
        leavesQty: known ? base.leavesQty : e.qty,
        accepted: true,
        createdAt: e.transactTime,
        updatedAt: known && base.updatedAt > e.transactTime ? base.updatedAt : e.transactTime,
      };
    }
    case "TradeExecuted": {
      if (seen(current, e.seq)) return undefined;
      const maker = orderId === e.makerOrderId;
      const side = maker ? opposite(e.aggressorSide) : e.aggressorSide;
      const base =
        current ??
        skeleton(
          orderId,
          maker ? e.makerAccount : e.takerAccount,
          e.symbol,
          side,
          maker ? e.makerClOrdId : e.takerClOrdId,
          e.transactTime,
        );
      const cum = maker ? e.makerCumQty : e.takerCumQty;
      const leaves = maker ? e.makerLeavesQty : e.takerLeavesQty;
      return {
        ...base,
        cumQty: cum,
        leavesQty: leaves,
        orderQty: base.orderQty ?? cum + leaves,
        notional: base.notional + BigInt(e.qty) * BigInt(e.price),
        ordStatus: fillStatus(cum, leaves),
        lastSeq: e.seq,
        updatedAt: e.transactTime,
      };
    }
    case "OrderCancelled":
    case "OrderExpired": {
      if (seen(current, e.seq)) return undefined;
      const base =
        current ?? skeleton(e.orderId, e.account, e.symbol, e.side, e.clOrdId, e.transactTime);
      const cancelled = e.type === "OrderCancelled";
      return {
        ...base,
        clOrdId: cancelled ? e.clOrdId : base.clOrdId,
        origClOrdId: cancelled ? e.origClOrdId : base.origClOrdId,
        cumQty: e.cumQty,
        leavesQty: 0,
        ordStatus: cancelled ? OrdStatus.Canceled : OrdStatus.Expired,
        text: cancelled ? null : e.reason,
        lastSeq: e.seq,
        updatedAt: e.transactTime,
      };
    }
    case "OrderReplaced": {
      if (seen(current, e.seq)) return undefined;
      const base =
        current ?? skeleton(e.orderId, e.account, e.symbol, e.side, e.clOrdId, e.transactTime);
      return {
        ...base,
        clOrdId: e.clOrdId,
        origClOrdId: e.origClOrdId,
        price: e.price,
        orderQty: e.qty,
        cumQty: e.cumQty,
        leavesQty: e.leavesQty,
        ordStatus: fillStatus(e.cumQty, e.leavesQty),
        replaced: true,
        lastSeq: e.seq,
        updatedAt: e.transactTime,
      };
    }
    case "OrderRejected": {
      if (e.orderId === null) return undefined;
      if (e.seq !== undefined && seen(current, e.seq)) return undefined;
      if (current && isTerminal(current.ordStatus)) return undefined;
      const base =
        current ?? skeleton(e.orderId, e.account, e.symbol, e.side, e.clOrdId, e.transactTime);
      return {
        ...base,
        leavesQty: 0,
        ordStatus: OrdStatus.Rejected,
        text: e.text,
        lastSeq: e.seq ?? base.lastSeq,
        updatedAt: e.transactTime,
      };
    }
    default:
      return undefined;
  }
};

/** ClOrdIDs an order becomes reachable by through `e` ((account, ClOrdID) → OrderID). */
export const clOrdIdLinksOf = (
  e: DomainEvent,
): { account: string; clOrdId: string; orderId: string }[] => {
  switch (e.type) {
    case "OrderAccepted":
    case "OrderCancelled":
    case "OrderReplaced":
      return [{ account: e.account, clOrdId: e.clOrdId, orderId: e.orderId }];
    case "OrderRejected":
      return e.orderId === null
        ? []
        : [{ account: e.account, clOrdId: e.clOrdId, orderId: e.orderId }];
    default:
      return [];
  }
};
