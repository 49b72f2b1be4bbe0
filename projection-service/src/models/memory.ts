// Read models held in memory: the reference the Postgres projection is tested
// against, and the per-batch working set of the consumer (rows loaded for a
// batch, changed in memory, then flushed in one transaction).
import { type Candle, candleKey, mergeCandle } from "./candles.ts";
import { applyDepth, type DepthDelta, type DepthLevel } from "./depth.ts";
import type { EventEnvelope } from "./envelope.ts";
import type { ExecutionReport } from "./executions.ts";
import { applyExposure, type Exposure, type ExposureDelta } from "./open-exposure.ts";
import type { OrderView } from "./orders.ts";
import type { BalanceDelta, PositionView } from "./positions.ts";
import {
  type Changes,
  type ClOrdIdLink,
  type PairLookup,
  type ProjectError,
  project,
  type ReadModelLookup,
} from "./project.ts";
import { laterReference, type ReferencePrice } from "./reference-prices.ts";
import type { TapeTrade } from "./trades.ts";

export interface Pending {
  readonly orders: Map<string, OrderView>;
  readonly clOrdIdLinks: ClOrdIdLink[];
  readonly reports: ExecutionReport[];
  readonly trades: TapeTrade[];
  readonly positions: Map<string, PositionView>;
  readonly balances: Map<string, BalanceDelta>;
  readonly depth: DepthDelta[];
  readonly candles: Map<string, Candle>;
  readonly accountSeqs: Map<string, number>;
  readonly referencePrices: Map<string, ReferencePrice>;
  readonly exposure: ExposureDelta[];
}

const emptyPending = (): Pending => ({
  orders: new Map(),
  clOrdIdLinks: [],
  reports: [],
  trades: [],
  positions: new Map(),
  balances: new Map(),
  depth: [],
  candles: new Map(),
  accountSeqs: new Map(),
  referencePrices: new Map(),
  exposure: [],
});

const posKey = (account: string, symbol: string) => `${account}|${symbol}`;

export class MemoryReadModels implements ReadModelLookup {
  readonly orders = new Map<string, OrderView>();
  readonly clOrdIds = new Map<string, string>();
  readonly reports = new Map<string, ExecutionReport[]>();
  readonly trades = new Map<string, TapeTrade[]>();
  readonly positions = new Map<string, PositionView>();
  readonly balances = new Map<string, bigint>();
  depth = new Map<string, DepthLevel>();
  readonly candles = new Map<string, Candle>();
  readonly referencePrices = new Map<string, ReferencePrice>();
  exposure = new Map<string, Exposure>();
  readonly seen = new Set<string>();
  private readonly accountSeqs = new Map<string, number>();
  private pending: Pending = emptyPending();

  private readonly pairs: PairLookup;
  /** Only what lookups need plus the pending changes (a batch's working set), not whole models. */
  private readonly workingSet: boolean;

  constructor(pairs: PairLookup, options: { readonly workingSet?: boolean } = {}) {
    this.pairs = pairs;
    this.workingSet = options.workingSet ?? false;
  }

  order(orderId: string): OrderView | undefined {
    return this.orders.get(orderId);
  }
  lastAccountSeq(account: string): number {
    return this.accountSeqs.get(account) ?? 0;
  }
  position(account: string, symbol: string): PositionView | undefined {
    return this.positions.get(posKey(account, symbol));
  }
  orderByClOrdId(account: string, clOrdId: string): OrderView | undefined {
    const id = this.clOrdIds.get(`${account}|${clOrdId}`);
    return id === undefined ? undefined : this.orders.get(id);
  }

  /** Rows loaded from storage for a batch: seeds the lookup without marking them changed. */
  seed(rows: {
    orders?: Iterable<OrderView>;
    accountSeqs?: Iterable<[string, number]>;
    positions?: Iterable<PositionView>;
  }): void {
    for (const o of rows.orders ?? []) this.orders.set(o.orderId, o);
    for (const [a, s] of rows.accountSeqs ?? []) this.accountSeqs.set(a, s);
    for (const p of rows.positions ?? []) this.positions.set(posKey(p.account, p.symbol), p);
  }

  /** Applies one event; a duplicate event id is a no-op (idempotency by event id). */
  apply(env: EventEnvelope): { ok: true; applied: boolean } | { ok: false; error: ProjectError } {
    if (this.seen.has(env.eventId)) return { ok: true, applied: false };
    const r = project(this, this.pairs, env);
    if (!r.ok) return r;
    this.seen.add(env.eventId);
    this.absorb(r.value);
    return { ok: true, applied: true };
  }

  // Indexed loops: for-of allocated an iterator and results per loop here (ten loops per event).
  private absorb(c: Changes): void {
    const p = this.pending;
    const whole = !this.workingSet;
    for (let i = 0; i < c.orders.length; i++) {
      const o = c.orders[i]!;
      this.orders.set(o.orderId, o);
      p.orders.set(o.orderId, o);
    }
    for (let i = 0; i < c.clOrdIdLinks.length; i++) {
      const l = c.clOrdIdLinks[i]!;
      const k = `${l.account}|${l.clOrdId}`;
      if (this.clOrdIds.has(k)) continue;
      this.clOrdIds.set(k, l.orderId);
      p.clOrdIdLinks.push(l);
    }
    for (let i = 0; i < c.reports.length; i++) {
      const r = c.reports[i]!;
      this.accountSeqs.set(r.account, r.accountSeq);
      p.accountSeqs.set(r.account, r.accountSeq);
      if (whole) {
        const list = this.reports.get(r.account) ?? [];
        list.push(r);
        this.reports.set(r.account, list);
      }
      p.reports.push(r);
    }
    for (let i = 0; i < c.trades.length; i++) {
      const t = c.trades[i]!;
      if (whole) {
        const list = this.trades.get(t.symbol) ?? [];
        list.push(t);
        this.trades.set(t.symbol, list);
      }
      p.trades.push(t);
    }
    for (let i = 0; i < c.positions.length; i++) {
      const pos = c.positions[i]!;
      const k = posKey(pos.account, pos.symbol);
      this.positions.set(k, pos);
      p.positions.set(k, pos);
    }
    for (let i = 0; i < c.balances.length; i++) {
      const b = c.balances[i]!;
      const k = `${b.account}|${b.currency}`;
      if (whole) this.balances.set(k, (this.balances.get(k) ?? 0n) + b.amount);
      const prev = p.balances.get(k);
      p.balances.set(k, prev ? { ...b, amount: prev.amount + b.amount } : b);
    }
    if (whole) this.depth = applyDepth(this.depth, c.depth);
    for (let i = 0; i < c.depth.length; i++) p.depth.push(c.depth[i]!);
    for (let i = 0; i < c.candles.length; i++) {
      const cd = c.candles[i]!;
      const k = candleKey(cd);
      if (whole) {
        const cur = this.candles.get(k);
        this.candles.set(k, cur ? mergeCandle(cur, cd) : cd);
      }
      const pc = p.candles.get(k);
      p.candles.set(k, pc ? mergeCandle(pc, cd) : cd);
    }
    for (let i = 0; i < c.referencePrices.length; i++) {
      const r = c.referencePrices[i]!;
      if (whole)
        this.referencePrices.set(r.symbol, laterReference(this.referencePrices.get(r.symbol), r));
      p.referencePrices.set(r.symbol, laterReference(p.referencePrices.get(r.symbol), r));
    }
    if (whole) this.exposure = applyExposure(this.exposure, c.exposure);
    for (let i = 0; i < c.exposure.length; i++) p.exposure.push(c.exposure[i]!);
  }

  /** Everything changed since the last drain, for a flush to storage. */
  drain(): Pending {
    const p = this.pending;
    this.pending = emptyPending();
    return p;
  }
}
