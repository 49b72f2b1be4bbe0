// The projection step: one event in, the changes of every read model out.
// Pure: current rows come in through `ReadModelLookup`, nothing is written.
import type { DomainEvent } from "@fxcore/domain";
import { type Candle, tradeCandles } from "./candles.ts";
import { type DepthDelta, depthDeltas } from "./depth.ts";
import type { EventEnvelope } from "./envelope.ts";
import { type ExecutionReport, reportsFor, sequence } from "./executions.ts";
import { type ExposureDelta, exposureDeltas } from "./open-exposure.ts";
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

const fillsOf = (e: DomainEvent) =>
  e.type === "TradeExecuted"
    ? [
        {
          account: e.makerAccount,
          side: e.aggressorSide === "BUY" ? ("SELL" as const) : ("BUY" as const),
        },
        { account: e.takerAccount, side: e.aggressorSide },
      ]
    : [];

export const project = (
  lookup: ReadModelLookup,
  pairs: PairLookup,
  env: EventEnvelope,
): { ok: true; value: Changes } | { ok: false; error: ProjectError } => {
  const e = env.event;
  const orders = new Map<string, OrderView>();
  const depth: DepthDelta[] = [];
  const exposure: ExposureDelta[] = [];
  for (const id of orderIdsOf(e)) {
    const before = lookup.order(id);
    const after = evolveOrder(before, id, e);
    if (after === undefined) continue;
    orders.set(id, after);
    depth.push(...depthDeltas(before, after));
    exposure.push(...exposureDeltas(before, after));
  }
  const afterOf = (id: string) => orders.get(id) ?? lookup.order(id);
  // A re-applied matcher output changes no order: it must not report twice either.
  const replay = orderIdsOf(e).length > 0 && orders.size === 0 && e.type !== "OrderRejected";
  const drafts = replay ? [] : reportsFor(env.eventId, e, afterOf);
  const { reports } = sequence(drafts, (a) => lookup.lastAccountSeq(a));

  const positions: PositionView[] = [];
  const balances: BalanceDelta[] = [];
  let trades: TapeTrade[] = [];
  let candles: Candle[] = [];
  if (e.type === "TradeExecuted" && !replay) {
    const pair = pairs(e.symbol);
    if (!pair) return { ok: false, error: { type: "UnknownPair", symbol: e.symbol } };
    trades = [tapeTrade(e)];
    candles = tradeCandles(e);
    for (const f of fillsOf(e)) {
      const prev =
        positions.find((p) => p.account === f.account) ??
        lookup.position(f.account, e.symbol) ??
        emptyPosition(f.account, e.symbol);
      const next = applyFill(prev, f.side, e.qty, e.price, e.transactTime);
      const i = positions.findIndex((p) => p.account === f.account);
      if (i >= 0) positions[i] = next;
      else positions.push(next);
      balances.push(
        ...balanceDeltas(f.account, pair.base, pair.quote, pair.priceScale, f.side, e.qty, e.price),
      );
    }
  }
  return {
    ok: true,
    value: {
      orders: [...orders.values()],
      clOrdIdLinks: clOrdIdLinksOf(e),
      reports,
      trades,
      positions,
      balances,
      depth,
      candles,
      referencePrices: e.type === "TradeExecuted" && !replay ? [referencePriceOf(e)] : [],
      exposure,
    },
  };
};
