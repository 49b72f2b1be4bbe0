// The projection step: one event in, the changes of every read model out.
// Pure: current rows come in through `ReadModelLookup`, nothing is written.
import { type Candle, tradeCandles } from "./candles.ts";
import { type DepthDelta, pushDepthDeltas } from "./depth.ts";
import type { EventEnvelope } from "./envelope.ts";
import { type ExecutionReport, reportsFor } from "./executions.ts";
import { type ExposureDelta, pushExposureDeltas } from "./open-exposure.ts";
import { clOrdIdLinksOf, evolveOrder, type OrderView, orderIdsOf } from "./orders.ts";
import {
  applyFill,
  type BalanceDelta,
  balanceDeltas,
  emptyPosition,
  type PositionView,
} from "./positions.ts";
import { type ReferencePrice, referencePriceOf } from "./reference-prices.ts";
import { type TapeTrade, tapeTrade } from "./trades.ts";

export interface ReadModelLookup {
  order(orderId: string): OrderView | undefined;
  /** Last execution sequence of the account; 0 when none. */
  lastAccountSeq(account: string): number;
  position(account: string, symbol: string): PositionView | undefined;
}

/** Reference data the projections need: currencies and price scale of a pair. */
export interface PairInfo {
  readonly base: string;
  readonly quote: string;
  readonly priceScale: number;
}
export type PairLookup = (symbol: string) => PairInfo | undefined;

export interface ClOrdIdLink {
  readonly account: string;
  readonly clOrdId: string;
  readonly orderId: string;
}

export interface Changes {
  readonly orders: readonly OrderView[];
  readonly clOrdIdLinks: readonly ClOrdIdLink[];
  readonly reports: readonly ExecutionReport[];
  readonly trades: readonly TapeTrade[];
  readonly positions: readonly PositionView[];
  readonly balances: readonly BalanceDelta[];
  readonly depth: readonly DepthDelta[];
  readonly candles: readonly Candle[];
  readonly referencePrices: readonly ReferencePrice[];
  readonly exposure: readonly ExposureDelta[];
}

export const noChanges: Changes = {
  orders: [],
  clOrdIdLinks: [],
  reports: [],
  trades: [],
  positions: [],
  balances: [],
  depth: [],
  candles: [],
  referencePrices: [],
  exposure: [],
};

export type ProjectError = { readonly type: "UnknownPair"; readonly symbol: string };

const none: readonly never[] = [];

export const project = (
  lookup: ReadModelLookup,
  pairs: PairLookup,
  env: EventEnvelope,
): { ok: true; value: Changes } | { ok: false; error: ProjectError } => {
  const e = env.event;
  // At most two orders per event (a trade's maker and taker): plain arrays,
  // no per-event Map; deltas pushed straight in (this runs once per event).
  const ids = orderIdsOf(e);
  const orders: OrderView[] = [];
  const depth: DepthDelta[] = [];
  const exposure: ExposureDelta[] = [];
  for (const id of ids) {
    const before = lookup.order(id);
    const after = evolveOrder(before, id, e);
    if (after === undefined) continue;
    orders.push(after);
    pushDepthDeltas(depth, before, after);
    pushExposureDeltas(exposure, before, after);
  }
  const afterOf = (id: string) => {
    for (const o of orders) if (o.orderId === id) return o;
    return lookup.order(id);
  };
  // A re-applied matcher output changes no order: it must not report twice either.
  const replay = ids.length > 0 && orders.length === 0 && e.type !== "OrderRejected";
  const reports = replay ? none : reportsFor(env.eventId, e, afterOf, lookup);

  if (e.type !== "TradeExecuted" || replay)
    return {
      ok: true,
      value: {
        orders,
        clOrdIdLinks: clOrdIdLinksOf(e),
        reports,
        trades: none,
        positions: none,
        balances: none,
        depth,
        candles: none,
        referencePrices: none,
        exposure,
      },
    };
  const pair = pairs(e.symbol);
  if (!pair) return { ok: false, error: { type: "UnknownPair", symbol: e.symbol } };
  const makerSide = e.aggressorSide === "BUY" ? ("SELL" as const) : ("BUY" as const);
  const positions: PositionView[] = [];
  const balances: BalanceDelta[] = [];
  for (const [account, side] of [
    [e.makerAccount, makerSide],
    [e.takerAccount, e.aggressorSide],
  ] as const) {
    // Maker and taker may be one account (a self-trade): the second fill builds on the first.
    const same = positions[0]?.account === account ? 0 : -1;
    const prev =
      (same === 0 ? positions[0] : undefined) ??
      lookup.position(account, e.symbol) ??
      emptyPosition(account, e.symbol);
    const next = applyFill(prev, side, e.qty, e.price, e.transactTime);
    if (same === 0) positions[0] = next;
    else positions.push(next);
    for (const b of balanceDeltas(
      account,
      pair.base,
      pair.quote,
      pair.priceScale,
      side,
      e.qty,
      e.price,
    ))
      balances.push(b);
  }
  return {
    ok: true,
    value: {
      orders,
      clOrdIdLinks: clOrdIdLinksOf(e),
      reports,
      trades: [tapeTrade(e)],
      positions,
      balances,
      depth,
      candles: tradeCandles(e),
      referencePrices: [referencePriceOf(e)],
      exposure,
    },
  };
};
