// The deterministic matching engine of one currency pair (DESIGN rules 2–3).
//
// apply(input) consumes one fx.orders event and returns the fx.executions
// events it causes, each stamped with the pair's next gapless seq. No clock,
// no randomness: ids come with the input, ExecIds derive from symbol + seq,
// time from the input's transactTime. Same inputs ⇒ same outputs, byte for byte.
// Semantics are written down in docs/adr/031-034; the data layout in 030.
//
// The hot path (accept, match, cancel) allocates only the output events and
// their ExecId strings: no closures, no per-level arrays, no re-indexing.

import type {
  CancelRejected,
  ExpireReason,
  MatcherInput,
  MatcherOutput,
  OrderAccepted,
  OrderCancelRequested,
  OrderExpired,
  OrderRejected,
  OrderReplaceRequested,
  ReplaceRejected,
  TimeAdvanced,
} from "../events.ts";
import { CxlRejReason, OrdRejReason } from "../fix.ts";
import type { Instrument } from "../instruments/instrument.ts";
import type {
  AccountId,
  ClOrdId,
  ExecId,
  OrderId,
  PairSeq,
  PriceTicks,
  Qty,
  Result,
  Side,
  StpMode,
  Symbol,
  TimeInForce,
  TimestampNs,
} from "../values.ts";
import { err, ok } from "../values.ts";
import { ExpiryQueue } from "./expiry-queue.ts";
import { BUY, NIL, OrderBook, SELL } from "./order-book.ts";
import { hashString } from "./id-hash.ts";
import { TerminalIds } from "./terminal-ids.ts";
import {
  decodeSnapshot,
  hashSnapshot,
  type SnapshotError,
  type SnapshotOrder,
  type SnapshotState,
  SnapshotWriter,
} from "./snapshot.ts";

// FIX TimeInForce codes (tag 59) as stored per slot.
const TIF_DAY = 0;
const TIF_GTC = 1;
const TIF_IOC = 3;
const TIF_FOK = 4;
const TIF_GTD = 6;
const STP_NONE = 0;
const STP_CANCEL_NEWEST = 1;
const STP_CANCEL_OLDEST = 2;
const STP_CANCEL_BOTH = 3;

const ZEROS = "0000000000";
const TRIPLES = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, "0"));

/** One resting order as the book holds it (priority order when listed). */
export interface RestingOrder {
  readonly orderId: OrderId;
  readonly clOrdId: ClOrdId;
  readonly account: AccountId;
  readonly side: Side;
  readonly price: PriceTicks;
  readonly qty: Qty;
  readonly leavesQty: Qty;
  readonly cumQty: Qty;
  readonly tif: TimeInForce;
  readonly stpMode: StpMode;
  readonly postOnly: boolean;
  readonly expireTime: TimestampNs | null;
}

/** One L2 price level. */
export interface DepthLevel {
  readonly price: PriceTicks;
  /** Sum of the leaves quantity of the orders at this price. */
  readonly qty: Qty;
  readonly orders: number;
}

/** L2 view: bids best (highest) first, asks best (lowest) first. */
export interface BookDepth {
  readonly bids: DepthLevel[];
  readonly asks: DepthLevel[];
}

/** What the book knows about an order id. */
export type OrderStatusView =
  | { readonly state: "LIVE"; readonly order: RestingOrder }
  | { readonly state: "DONE" }
  | { readonly state: "UNKNOWN" };

export interface MatchingEngineOptions {
  /** Order slots allocated up front (the book grows by doubling beyond). Default 1024. */
  readonly initialOrderCapacity?: number;
  /**
   * Terminal order ids are remembered in two generations of this many ids, so
   * a cancel/replace of an order that ended less than this many terminal orders
   * ago is "too late" rather than "unknown". Part of the state: a snapshot
   * carries it. Default 65,536: small tables stay in cache (ADR 031).
   */
  readonly terminalIdGeneration?: number;
}

export const DEFAULT_TERMINAL_ID_GENERATION = 1 << 16;

/**
 * Where applyInto puts the events an input causes: an array, or a sink that
 * drops them (a rebuild needs only the state). The engine only pushes.
 */
export interface MatcherOutputSink {
  push(event: MatcherOutput): unknown;
  /**
   * True: the sink drops every event, so the engine may skip work that only
   * shapes an event and never the state (a rejected cancel/replace does not
   * ask the terminal ids whether it was "too late" or "unknown"). Seqs are
   * counted all the same. With such a sink the engine reads, besides what
   * every input needs for the state, no transactTime except TimeAdvanced's,
   * no clOrdId/origClOrdId of a cancel and no origClOrdId of a replace: a
   * caller may leave them blank (replay's tape reader does; property-tested).
   */
  readonly discards?: boolean;
}

export class MatchingEngine {
  readonly instrument: Instrument;
  readonly symbol: Symbol;
  private readonly collar: number;
  private readonly execPrefix: string;
  private execBlock = -1;
  private execBlockPrefix = "";
  private readonly book: OrderBook;
  private readonly expiry = new ExpiryQueue();
  private terminal: TerminalIds;
  private expiryCompactAt = 4096;
  private seqNo = 0;
  private nextPrio = 1;

  constructor(instrument: Instrument, options: MatchingEngineOptions = {}) {
    this.instrument = instrument;
    this.symbol = instrument.symbol;
    this.collar = instrument.marketCollarTicks;
    this.execPrefix = `${instrument.symbol}-`;
    this.book = new OrderBook(options.initialOrderCapacity);
    this.terminal = new TerminalIds(options.terminalIdGeneration ?? DEFAULT_TERMINAL_ID_GENERATION);
  }

  /** Seq of the last event produced (0 before the first). */
  get seq(): number {
    return this.seqNo;
  }

  /** Number of resting orders. */
  get size(): number {
    return this.book.liveOrders;
  }

  /** Applies one input and returns the events it caused, in order. */
  apply(input: MatcherInput): MatcherOutput[] {
    const out: MatcherOutput[] = [];
    this.applyInto(input, out);
    return out;
  }

  /** Same as apply, appending to a caller-owned array (no result array per call). */
  applyInto(input: MatcherInput, out: MatcherOutputSink): void {
    switch (input.type) {
      case "OrderAccepted":
        this.onAccepted(input, hashString(input.orderId), out);
        return;
      case "OrderCancelRequested":
        this.onCancel(input, hashString(input.orderId), out);
        return;
      case "OrderReplaceRequested":
        this.onReplace(input, hashString(input.orderId), out);
        return;
      case "TimeAdvanced":
        this.onTime(input, out);
        return;
    }
  }

  // ---- new orders ----

  /** `h` = hashString(a.orderId). */
  private onAccepted(a: OrderAccepted, h: number, out: MatcherOutputSink): void {
    const b = this.book;
    if (a.symbol !== this.symbol) {
      out.push(this.rejected(a, OrdRejReason.UnknownSymbol, "order is for another book"));
      return;
    }
    if (b.find(a.orderId, h) !== NIL) {
      out.push(this.rejected(a, OrdRejReason.DuplicateOrder, "duplicate order id"));
      return;
    }
    const q = a.qty as number;
    if (!Number.isSafeInteger(q) || q <= 0) {
      this.terminal.add(a.orderId, h);
      out.push(
        this.rejected(a, OrdRejReason.IncorrectQuantity, "quantity must be a positive integer"),
      );
      return;
    }
    const side = a.side === "BUY" ? BUY : a.side === "SELL" ? SELL : NIL;
    const tif = tifCode(a.tif);
    const stp = stpCode(a.stpMode);
    const isMarket = a.ordType === "MARKET";
    if (side === NIL || tif < 0 || stp < 0 || (!isMarket && a.ordType !== "LIMIT")) {
      // Typed inputs make this unreachable from our own producers; a foreign
      // record must not be read as some default (ADR 032).
      this.terminal.add(a.orderId, h);
      out.push(
        this.rejected(
          a,
          OrdRejReason.UnsupportedOrderCharacteristic,
          "unsupported side, order type, time in force or STP mode",
        ),
      );
      return;
    }
    const bestOpp = b.best(1 - side);
    let limit: number;
    if (isMarket) {
      if (bestOpp === NIL) {
        this.terminal.add(a.orderId, h);
        out.push(this.expiredNew(a, q, tif === TIF_FOK ? "FOK_UNFILLED" : "MARKET_REMAINDER"));
        return;
      }
      const bp = b.lvPrice[bestOpp]!;
      limit = side === BUY ? bp + this.collar : bp - this.collar;
    } else {
      const p = a.price as number | null;
      if (p === null || !Number.isSafeInteger(p) || p <= 0) {
        this.terminal.add(a.orderId, h);
        out.push(this.rejected(a, OrdRejReason.Other, "limit order needs a positive price"));
        return;
      }
      limit = p;
    }
    const crosses =
      bestOpp !== NIL &&
      (side === BUY ? b.lvPrice[bestOpp]! <= limit : b.lvPrice[bestOpp]! >= limit);
    if (a.postOnly && crosses) {
      this.terminal.add(a.orderId, h);
      out.push(this.rejected(a, OrdRejReason.Other, "post-only order would take liquidity"));
      return;
    }
    let need = 0;
    if (tif === TIF_FOK) need = q;
    else if (a.minQty !== null && a.minQty > 0) need = Math.min(a.minQty, q);
    if (need > 0 && (!crosses || this.fillable(side, limit, a.account, stp, need) < need)) {
      this.terminal.add(a.orderId, h);
      out.push(this.expiredNew(a, q, tif === TIF_FOK ? "FOK_UNFILLED" : "MIN_QTY_NOT_MET"));
      return;
    }

    const o = b.allocOrder();
    b.F[o * 6 + 2] = q;
    b.F[o * 6 + 3] = 0;
    b.F[o * 6 + 4] = this.nextPrio++;
    b.I[o * 12 + 3] = packFlags(side, tif, stp, a.postOnly);
    b.R[o * 3] = a.orderId;
    b.F[o * 6 + 5] = h;
    b.R[o * 3 + 1] = a.clOrdId;
    b.R[o * 3 + 2] = a.account;
    b.setExpire(o, a.expireTime);

    if (crosses && this.match(o, limit, a.transactTime, out)) {
      this.terminal.add(a.orderId, h);
      b.freeOrder(o);
      return;
    }
    const leaves = b.F[o * 6 + 2]! - b.F[o * 6 + 3]!;
    if (leaves === 0) {
      this.terminal.add(a.orderId, h);
      b.freeOrder(o);
    } else if (isMarket || tif === TIF_IOC || tif === TIF_FOK) {
      out.push(
        this.expiredSlot(
          o,
          isMarket ? "MARKET_REMAINDER" : tif === TIF_IOC ? "IOC_REMAINDER" : "FOK_UNFILLED",
          a.transactTime,
        ),
      );
      this.terminal.add(a.orderId, h);
      b.freeOrder(o);
    } else {
      this.rest(o, limit);
    }
  }

  /** A new order starts resting: into its level, the live index and (DAY/GTD) the expiry queue. */
  private rest(o: number, price: number): void {
    this.book.index.insert(this.book.F[o * 6 + 5]!, o);
    this.relink(o, price);
  }

  /** Links an order already in the live index (a replace that lost priority). */
  private relink(o: number, price: number): void {
    const b = this.book;
    b.link(o, price);
    const exp = b.expireOf(o);
    const tif = (b.I[o * 12 + 3]! >> 1) & 7;
    if (exp !== null && (tif === TIF_DAY || tif === TIF_GTD)) {
      this.expiry.push(exp, b.F[o * 6 + 4]!, o);
      if (this.expiry.size > this.expiryCompactAt) this.compactExpiry();
    }
  }

  private compactExpiry(): void {
    const b = this.book;
    this.expiry.compactIfStale((p, s) => b.I[s * 12 + 2] !== NIL && b.F[s * 6 + 4] === p);
    this.expiryCompactAt = Math.max(4096, this.expiry.size * 2);
  }

  /**
   * Quantity the order could take right now, up to `need`: walks the opposite
   * levels within the limit (all of them, not just the best). With STP, own
   * orders do not count, and cancel-newest/both stop at the first one, as
   * matching would.
   */
  private fillable(
    side: number,
    limit: number,
    account: string,
    stp: number,
    need: number,
  ): number {
    const b = this.book;
    const opp = 1 - side;
    let acc = 0;
    for (let i = 0; ; i++) {
      const lv = b.levelAt(opp, i);
      if (lv === NIL) return acc;
      const p = b.lvPrice[lv]!;
      if (side === BUY ? p > limit : p < limit) return acc;
      if (stp === STP_NONE) {
        acc += b.lvQty[lv]!;
        if (acc >= need) return acc;
        continue;
      }
      for (let m = b.lvHead[lv]!; m !== NIL; m = b.I[m * 12]!) {
        if (b.R[m * 3 + 2] === account) {
          if (stp !== STP_CANCEL_OLDEST) return acc;
          continue;
        }
        acc += b.F[m * 6 + 2]! - b.F[m * 6 + 3]!;
        if (acc >= need) return acc;
      }
    }
  }

  /**
   * Matches slot `t` (not resting) against the opposite side up to `limit`.
   * Returns true when self-trade prevention ended the taker (its expiry is
   * already emitted); otherwise the caller decides what happens to the rest.
   */
  private match(t: number, limit: number, time: TimestampNs, out: MatcherOutputSink): boolean {
    const b = this.book;
    const side = b.I[t * 12 + 3]! & 1;
    const opp = 1 - side;
    const stp = (b.I[t * 12 + 3]! >> 4) & 3;
    const account = b.R[t * 3 + 2]!;
    const aggressor: Side = side === BUY ? "BUY" : "SELL";
    const F = b.F;
    while (F[t * 6 + 2]! > F[t * 6 + 3]!) {
      const lv = b.best(opp);
      if (lv === NIL) return false;
      const price = b.lvPrice[lv]!;
      if (side === BUY ? price > limit : price < limit) return false;
      let m = b.lvHead[lv]!;
      while (m !== NIL && F[t * 6 + 2]! > F[t * 6 + 3]!) {
        const nextM = b.I[m * 12]!;
        if (stp !== STP_NONE && b.R[m * 3 + 2] === account) {
          if (stp !== STP_CANCEL_NEWEST) this.endResting(m, "SELF_TRADE", time, out);
          if (stp !== STP_CANCEL_OLDEST) {
            out.push(this.expiredSlot(t, "SELF_TRADE", time));
            return true;
          }
          m = nextM;
          continue;
        }
        const mLeaves = F[m * 6 + 2]! - F[m * 6 + 3]!;
        const tLeaves = F[t * 6 + 2]! - F[t * 6 + 3]!;
        const q = Math.min(mLeaves, tLeaves);
        F[m * 6 + 3] = F[m * 6 + 3]! + q;
        F[t * 6 + 3] = F[t * 6 + 3]! + q;
        b.lvQty[lv] = b.lvQty[lv]! - q;
        const seq = ++this.seqNo;
        // A discarding sink (a rebuild) drops the trade: its ExecId string is not made.
        if (out.discards !== true)
          out.push({
            type: "TradeExecuted",
            seq: seq as PairSeq,
            execId: this.execId(seq),
            symbol: this.symbol,
            price: price as PriceTicks,
            qty: q as Qty,
            aggressorSide: aggressor,
            makerOrderId: b.R[m * 3] as OrderId,
            makerClOrdId: b.R[m * 3 + 1] as ClOrdId,
            makerAccount: b.R[m * 3 + 2] as AccountId,
            makerLeavesQty: (mLeaves - q) as Qty,
            makerCumQty: F[m * 6 + 3] as Qty,
            takerOrderId: b.R[t * 3] as OrderId,
            takerClOrdId: b.R[t * 3 + 1] as ClOrdId,
            takerAccount: account as AccountId,
            takerLeavesQty: (tLeaves - q) as Qty,
            takerCumQty: F[t * 6 + 3] as Qty,
            transactTime: time,
          });
        if (q === mLeaves) {
          this.retire(m);
          b.unlink(m);
          b.freeOrder(m);
        }
        m = nextM;
      }
    }
    return false;
  }

  /** A live order became terminal: out of the live index, into the terminal ids. */
  private retire(o: number): void {
    const b = this.book;
    const id = b.R[o * 3]!;
    const h = b.F[o * 6 + 5]!;
    b.index.remove(h, o);
    this.terminal.add(id, h);
  }

  /** Expires a resting order and removes it from the book. */
  private endResting(
    m: number,
    reason: ExpireReason,
    time: TimestampNs,
    out: MatcherOutputSink,
  ): void {
    const b = this.book;
    out.push(this.expiredSlot(m, reason, time));
    this.retire(m);
    b.unlink(m);
    b.freeOrder(m);
  }

  // ---- cancel ----

  private onCancel(c: OrderCancelRequested, h: number, out: MatcherOutputSink): void {
    const b = this.book;
    const o = b.find(c.orderId, h);
    if (o < 0) {
      if (out.discards === true) {
        ++this.seqNo; // the CancelRejected's seq
        return;
      }
      const unknown = !this.terminal.has(c.orderId);
      const rej: CancelRejected = {
        type: "CancelRejected",
        orderId: c.orderId,
        clOrdId: c.clOrdId,
        origClOrdId: c.origClOrdId,
        account: c.account,
        symbol: c.symbol,
        reason: unknown ? CxlRejReason.UnknownOrder : CxlRejReason.TooLateToCancel,
        text: unknown ? "unknown order" : "too late to cancel: order is no longer open",
        transactTime: c.transactTime,
        seq: ++this.seqNo as PairSeq,
      };
      out.push(rej);
      return;
    }
    out.push({
      type: "OrderCancelled",
      seq: ++this.seqNo as PairSeq,
      orderId: c.orderId,
      clOrdId: c.clOrdId,
      origClOrdId: b.R[o * 3 + 1] as ClOrdId,
      account: b.R[o * 3 + 2] as AccountId,
      symbol: this.symbol,
      side: (b.I[o * 12 + 3]! & 1) === BUY ? "BUY" : "SELL",
      cancelledQty: (b.F[o * 6 + 2]! - b.F[o * 6 + 3]!) as Qty,
      cumQty: b.F[o * 6 + 3] as Qty,
      reason: "REQUESTED",
      transactTime: c.transactTime,
    });
    this.retire(o);
    b.unlink(o);
    b.freeOrder(o);
  }

  // ---- replace ----

  private onReplace(r: OrderReplaceRequested, h: number, out: MatcherOutputSink): void {
    const b = this.book;
    const o = b.find(r.orderId, h);
    if (o < 0) {
      if (out.discards === true) {
        ++this.seqNo; // the ReplaceRejected's seq
        return;
      }
      out.push(
        this.terminal.has(r.orderId)
          ? this.replaceRejected(
              r,
              CxlRejReason.TooLateToCancel,
              "too late to replace: order is no longer open",
            )
          : this.replaceRejected(r, CxlRejReason.UnknownOrder, "unknown order"),
      );
      return;
    }
    const newQty = r.qty as number;
    if (!Number.isSafeInteger(newQty) || newQty <= 0) {
      out.push(this.replaceRejected(r, CxlRejReason.Other, "quantity must be a positive integer"));
      return;
    }
    const oldPrice = b.lvPrice[b.I[o * 12 + 2]!]!;
    const newPrice = r.price === null ? oldPrice : (r.price as number);
    if (!Number.isSafeInteger(newPrice) || newPrice <= 0) {
      out.push(this.replaceRejected(r, CxlRejReason.Other, "price must be a positive integer"));
      return;
    }
    const side = b.I[o * 12 + 3]! & 1;
    const cum = b.F[o * 6 + 3]!;
    const origClOrdId = b.R[o * 3 + 1] as ClOrdId;

    // Down to or below what is filled: the order is done (ADR 034).
    if (newQty <= cum) {
      out.push(this.replaced(r, o, origClOrdId, newPrice, cum, 0, false));
      this.retire(o);
      b.unlink(o);
      b.freeOrder(o);
      return;
    }
    // Same price, not more quantity: amend in place, keep the queue position.
    if (newPrice === oldPrice && newQty <= b.F[o * 6 + 2]!) {
      const lv = b.I[o * 12 + 2]!;
      b.lvQty[lv] = b.lvQty[lv]! - (b.F[o * 6 + 2]! - newQty);
      b.F[o * 6 + 2] = newQty;
      b.R[o * 3 + 1] = r.clOrdId;
      out.push(this.replaced(r, o, origClOrdId, newPrice, newQty, newQty - cum, true));
      return;
    }
    const bestOpp = b.best(1 - side);
    const crosses =
      bestOpp !== NIL &&
      (side === BUY ? b.lvPrice[bestOpp]! <= newPrice : b.lvPrice[bestOpp]! >= newPrice);
    if (crosses && ((b.I[o * 12 + 3]! >> 6) & 1) === 1) {
      out.push(this.replaceRejected(r, CxlRejReason.Other, "post-only order would take liquidity"));
      return;
    }
    // Loses priority: leaves its level, may trade as an aggressor, rests at the back.
    b.unlink(o);
    b.F[o * 6 + 2] = newQty;
    b.F[o * 6 + 4] = this.nextPrio++;
    b.R[o * 3 + 1] = r.clOrdId;
    out.push(this.replaced(r, o, origClOrdId, newPrice, newQty, newQty - cum, false));
    if (crosses && this.match(o, newPrice, r.transactTime, out)) {
      this.retire(o);
      b.freeOrder(o);
      return;
    }
    if (b.F[o * 6 + 2]! === b.F[o * 6 + 3]!) {
      this.retire(o);
      b.freeOrder(o);
      return;
    }
    this.relink(o, newPrice);
  }

  // ---- time ----

  private onTime(t: TimeAdvanced, out: MatcherOutputSink): void {
    if (t.symbol !== this.symbol) return;
    const b = this.book;
    const q = this.expiry;
    const now = t.transactTime;
    while (q.hasDue(now)) {
      const s = q.topSlot();
      const p = q.topPrio();
      q.pop();
      if (b.I[s * 12 + 2] !== NIL && b.F[s * 6 + 4] === p) {
        this.endResting(s, ((b.I[s * 12 + 3]! >> 1) & 7) === TIF_DAY ? "DAY" : "GTD", now, out);
      }
    }
  }

  // ---- event builders ----

  /** symbol-seq, seq zero-padded to 10 digits. The prefix up to the last 3 digits is cached. */
  private execId(seq: number): ExecId {
    const block = Math.floor(seq / 1000);
    if (block !== this.execBlock) {
      this.execBlock = block;
      const s = String(block);
      this.execBlockPrefix =
        this.execPrefix + (s.length < 7 ? ZEROS.substring(s.length + 3) + s : s);
    }
    return (this.execBlockPrefix + TRIPLES[seq - block * 1000]!) as ExecId;
  }

  private rejected(a: OrderAccepted, reason: OrdRejReason, text: string): OrderRejected {
    return {
      type: "OrderRejected",
      orderId: a.orderId,
      clOrdId: a.clOrdId,
      account: a.account,
      symbol: a.symbol,
      side: a.side,
      reason,
      text,
      transactTime: a.transactTime,
      seq: ++this.seqNo as PairSeq,
    };
  }

  private expiredNew(a: OrderAccepted, q: number, reason: ExpireReason): OrderExpired {
    return {
      type: "OrderExpired",
      seq: ++this.seqNo as PairSeq,
      orderId: a.orderId,
      clOrdId: a.clOrdId,
      account: a.account,
      symbol: this.symbol,
      side: a.side,
      expiredQty: q as Qty,
      cumQty: 0 as Qty,
      reason,
      transactTime: a.transactTime,
    };
  }

  private expiredSlot(o: number, reason: ExpireReason, time: TimestampNs): OrderExpired {
    const b = this.book;
    return {
      type: "OrderExpired",
      seq: ++this.seqNo as PairSeq,
      orderId: b.R[o * 3] as OrderId,
      clOrdId: b.R[o * 3 + 1] as ClOrdId,
      account: b.R[o * 3 + 2] as AccountId,
      symbol: this.symbol,
      side: (b.I[o * 12 + 3]! & 1) === BUY ? "BUY" : "SELL",
      expiredQty: (b.F[o * 6 + 2]! - b.F[o * 6 + 3]!) as Qty,
      cumQty: b.F[o * 6 + 3] as Qty,
      reason,
      transactTime: time,
    };
  }

  private replaced(
    r: OrderReplaceRequested,
    o: number,
    origClOrdId: ClOrdId,
    price: number,
    qty: number,
    leaves: number,
    priorityKept: boolean,
  ): MatcherOutput {
    const b = this.book;
    return {
      type: "OrderReplaced",
      seq: ++this.seqNo as PairSeq,
      orderId: r.orderId,
      clOrdId: r.clOrdId,
      origClOrdId,
      account: b.R[o * 3 + 2] as AccountId,
      symbol: this.symbol,
      side: (b.I[o * 12 + 3]! & 1) === BUY ? "BUY" : "SELL",
      price: price as PriceTicks,
      qty: qty as Qty,
      leavesQty: leaves as Qty,
      cumQty: b.F[o * 6 + 3] as Qty,
      priorityKept,
      transactTime: r.transactTime,
    };
  }

  private replaceRejected(
    r: OrderReplaceRequested,
    reason: CxlRejReason,
    text: string,
  ): ReplaceRejected {
    return {
      type: "ReplaceRejected",
      orderId: r.orderId,
      clOrdId: r.clOrdId,
      origClOrdId: r.origClOrdId,
      account: r.account,
      symbol: r.symbol,
      reason,
      text,
      transactTime: r.transactTime,
      seq: ++this.seqNo as PairSeq,
    };
  }

  // ---- views ----

  /** L2 depth: up to `levels` price levels per side, best first. */
  depth(levels = Number.MAX_SAFE_INTEGER): BookDepth {
    const b = this.book;
    const side = (s: number): DepthLevel[] => {
      const res: DepthLevel[] = [];
      for (let i = 0; i < levels; i++) {
        const lv = b.levelAt(s, i);
        if (lv === NIL) break;
        res.push({
          price: b.lvPrice[lv] as PriceTicks,
          qty: b.lvQty[lv] as Qty,
          orders: b.lvCount[lv]!,
        });
      }
      return res;
    };
    return { bids: side(BUY), asks: side(SELL) };
  }

  /** Every resting order in priority order: bids best to worst, then asks; FIFO within a level. */
  restingOrders(): RestingOrder[] {
    const b = this.book;
    const res: RestingOrder[] = [];
    for (const s of [BUY, SELL]) {
      for (let i = 0; ; i++) {
        const lv = b.levelAt(s, i);
        if (lv === NIL) break;
        for (let o = b.lvHead[lv]!; o !== NIL; o = b.I[o * 12]!) res.push(this.view(o));
      }
    }
    return res;
  }

  /** What the book knows about an order id. */
  orderStatus(orderId: OrderId): OrderStatusView {
    const o = this.book.find(orderId, hashString(orderId));
    if (o < 0) return this.terminal.has(orderId) ? { state: "DONE" } : { state: "UNKNOWN" };
    return { state: "LIVE", order: this.view(o) };
  }

  private view(o: number): RestingOrder {
    const b = this.book;
    return {
      orderId: b.R[o * 3] as OrderId,
      clOrdId: b.R[o * 3 + 1] as ClOrdId,
      account: b.R[o * 3 + 2] as AccountId,
      side: (b.I[o * 12 + 3]! & 1) === BUY ? "BUY" : "SELL",
      price: b.lvPrice[b.I[o * 12 + 2]!] as PriceTicks,
      qty: b.F[o * 6 + 2] as Qty,
      leavesQty: (b.F[o * 6 + 2]! - b.F[o * 6 + 3]!) as Qty,
      cumQty: b.F[o * 6 + 3] as Qty,
      tif: tifName((b.I[o * 12 + 3]! >> 1) & 7),
      stpMode: stpName((b.I[o * 12 + 3]! >> 4) & 3),
      postOnly: ((b.I[o * 12 + 3]! >> 6) & 1) === 1,
      expireTime: b.expireOf(o) as TimestampNs | null,
    };
  }

  // ---- snapshot ----

  /** Canonical state, the input of snapshot() and stateHash(). */
  snapshotState(): SnapshotState {
    const b = this.book;
    const orders: SnapshotOrder[] = [];
    for (const s of [BUY, SELL]) {
      for (let i = 0; ; i++) {
        const lv = b.levelAt(s, i);
        if (lv === NIL) break;
        for (let o = b.lvHead[lv]!; o !== NIL; o = b.I[o * 12]!) {
          orders.push({
            orderId: b.R[o * 3]!,
            clOrdId: b.R[o * 3 + 1]!,
            account: b.R[o * 3 + 2]!,
            side: s,
            tif: (b.I[o * 12 + 3]! >> 1) & 7,
            stp: (b.I[o * 12 + 3]! >> 4) & 3,
            postOnly: ((b.I[o * 12 + 3]! >> 6) & 1) === 1,
            price: b.lvPrice[lv]!,
            qty: b.F[o * 6 + 2]!,
            cumQty: b.F[o * 6 + 3]!,
            prio: b.F[o * 6 + 4]!,
            expireTime: b.expireOf(o),
          });
        }
      }
    }
    return {
      symbol: this.symbol,
      seq: this.seqNo,
      nextPrio: this.nextPrio,
      orders,
      terminalGeneration: this.terminal.generationSize,
      terminalPrevious: this.terminal.previousKeys(),
      terminalCurrent: this.terminal.currentKeys(),
    };
  }

  /** The book as versioned bytes (restoreMatchingEngine reads them back). */
  snapshot(): Uint8Array {
    return this.writeSnapshot().bytes();
  }

  /** SHA-256 (hex) of the canonical snapshot: equal hashes ⇔ equal state. */
  stateHash(): string {
    return hashSnapshot(this.writeSnapshot().written());
  }

  /**
   * encodeSnapshot(snapshotState()), written straight from the book: no
   * SnapshotOrder object per resting order (a rebuild's state hash is on its
   * critical path). Same bytes; the tests hold the two to it.
   */
  private writeSnapshot(): SnapshotWriter {
    const b = this.book;
    const w = new SnapshotWriter(64 + b.liveOrders * 80);
    w.header(this.symbol, this.seqNo, this.nextPrio, b.liveOrders);
    let n = 0;
    for (const s of [BUY, SELL]) {
      for (let i = 0; ; i++) {
        const lv = b.levelAt(s, i);
        if (lv === NIL) break;
        const price = b.lvPrice[lv]!;
        for (let o = b.lvHead[lv]!; o !== NIL; o = b.I[o * 12]!) {
          const flags = b.I[o * 12 + 3]!;
          w.order(
            b.R[o * 3]!,
            b.R[o * 3 + 1]!,
            b.R[o * 3 + 2]!,
            s,
            (flags >> 1) & 7,
            (flags >> 4) & 3,
            ((flags >> 6) & 1) === 1,
            price,
            b.F[o * 6 + 2]!,
            b.F[o * 6 + 3]!,
            b.F[o * 6 + 4]!,
            b.expireOf(o),
          );
          n++;
        }
      }
    }
    w.orderCount(n); // the orders listed, as snapshotState counts them
    w.terminal(
      this.terminal.generationSize,
      this.terminal.previousKeys(),
      this.terminal.currentKeys(),
      true,
    );
    return w;
  }

  /** Loads a decoded snapshot into this (fresh) engine; validates it first. */
  load(state: SnapshotState): Result<this, SnapshotError> {
    const bad = (detail: string): Result<never, SnapshotError> =>
      err({ kind: "MALFORMED", detail });
    if (state.symbol !== this.symbol) {
      return err({ kind: "SYMBOL_MISMATCH", expected: this.symbol, actual: state.symbol });
    }
    if (!Number.isSafeInteger(state.seq) || state.seq < 0) return bad("seq");
    if (!Number.isSafeInteger(state.nextPrio) || state.nextPrio < 1) return bad("nextPrio");
    const b = this.book;
    let lastSide = BUY;
    let lastPrice = Number.POSITIVE_INFINITY;
    for (const x of state.orders) {
      if (x.side !== BUY && x.side !== SELL) return bad("side");
      if (x.tif !== TIF_DAY && x.tif !== TIF_GTC && x.tif !== TIF_GTD) return bad("tif");
      if (x.stp > STP_CANCEL_BOTH) return bad("stp");
      if (!Number.isSafeInteger(x.price) || x.price <= 0) return bad("price");
      if (!Number.isSafeInteger(x.qty) || !Number.isSafeInteger(x.cumQty) || x.cumQty < 0) {
        return bad("quantity");
      }
      if (x.cumQty >= x.qty) return bad("resting order with nothing left");
      if (!Number.isSafeInteger(x.prio) || x.prio < 1 || x.prio >= state.nextPrio)
        return bad("prio");
      if (b.find(x.orderId, hashString(x.orderId)) !== NIL) {
        return bad(`duplicate order ${x.orderId}`);
      }
      // Canonical order: bids descending, then asks ascending.
      if (x.side !== lastSide) {
        if (x.side < lastSide) return bad("order sequence");
        lastSide = x.side;
        lastPrice = Number.NEGATIVE_INFINITY;
      }
      if (x.side === BUY ? x.price > lastPrice : x.price < lastPrice) return bad("order sequence");
      lastPrice = x.price;
      const o = b.allocOrder();
      b.F[o * 6 + 2] = x.qty;
      b.F[o * 6 + 3] = x.cumQty;
      b.F[o * 6 + 4] = x.prio;
      b.I[o * 12 + 3] = packFlags(x.side, x.tif, x.stp, x.postOnly);
      b.R[o * 3] = x.orderId;
      b.F[o * 6 + 5] = hashString(x.orderId);
      b.R[o * 3 + 1] = x.clOrdId;
      b.R[o * 3 + 2] = x.account;
      b.setExpire(o, x.expireTime);
      this.rest(o, x.price);
    }
    const bid = b.best(BUY);
    const ask = b.best(SELL);
    if (bid !== NIL && ask !== NIL && b.lvPrice[bid]! >= b.lvPrice[ask]!)
      return bad("crossed book");
    const g = state.terminalGeneration;
    if (!Number.isSafeInteger(g) || g < 1) return bad("terminal id generation");
    if (state.terminalCurrent.length >= g || state.terminalPrevious.length > g) {
      return bad("terminal id generation overfull");
    }
    this.terminal = new TerminalIds(g);
    this.terminal.restore(state.terminalPrevious, state.terminalCurrent);
    this.seqNo = state.seq;
    this.nextPrio = state.nextPrio;
    return ok(this);
  }
}

/** side (1 bit) | TIF code (3 bits) | STP (2 bits) | post-only (1 bit), one int per order. */
function packFlags(side: number, tif: number, stp: number, postOnly: boolean): number {
  return side | (tif << 1) | (stp << 4) | (postOnly ? 64 : 0);
}

function tifCode(t: TimeInForce): number {
  switch (t) {
    case "GTC":
      return TIF_GTC;
    case "IOC":
      return TIF_IOC;
    case "FOK":
      return TIF_FOK;
    case "DAY":
      return TIF_DAY;
    case "GTD":
      return TIF_GTD;
    default:
      return -1;
  }
}
function tifName(c: number): TimeInForce {
  return c === TIF_DAY
    ? "DAY"
    : c === TIF_GTD
      ? "GTD"
      : c === TIF_IOC
        ? "IOC"
        : c === TIF_FOK
          ? "FOK"
          : "GTC";
}
function stpCode(s: StpMode): number {
  switch (s) {
    case "NONE":
      return STP_NONE;
    case "CANCEL_NEWEST":
      return STP_CANCEL_NEWEST;
    case "CANCEL_OLDEST":
      return STP_CANCEL_OLDEST;
    case "CANCEL_BOTH":
      return STP_CANCEL_BOTH;
    default:
      return -1;
  }
}
function stpName(c: number): StpMode {
  return c === STP_CANCEL_NEWEST
    ? "CANCEL_NEWEST"
    : c === STP_CANCEL_OLDEST
      ? "CANCEL_OLDEST"
      : c === STP_CANCEL_BOTH
        ? "CANCEL_BOTH"
        : "NONE";
}

/** A fresh, empty engine for one instrument. */
export function createMatchingEngine(
  instrument: Instrument,
  options: MatchingEngineOptions = {},
): MatchingEngine {
  return new MatchingEngine(instrument, options);
}

/** An engine in the state captured by `snapshot()`; a typed error for bytes it cannot trust. */
export function restoreMatchingEngine(
  instrument: Instrument,
  bytes: Uint8Array,
  options: Pick<MatchingEngineOptions, "initialOrderCapacity"> = {},
): Result<MatchingEngine, SnapshotError> {
  const decoded = decodeSnapshot(bytes);
  if (!decoded.ok) return decoded;
  return new MatchingEngine(instrument, options).load(decoded.value);
}
