// A deliberately naive matcher with the same semantics as the engine: one
// array of resting orders, filtered and re-sorted on every step. Slow and
// obviously correct; the conformance test compares the engine against it.

import type { ExpireReason, MatcherInput, MatcherOutput } from "../../src/events.ts";
import type { Instrument } from "../../src/instruments/instrument.ts";

interface RefOrder {
  id: string;
  clOrdId: string;
  account: string;
  side: "BUY" | "SELL";
  price: number;
  qty: number;
  cum: number;
  prio: number;
  tif: string;
  stp: string;
  postOnly: boolean;
  expire: bigint | null;
}

export interface RefLevel {
  price: number;
  qty: number;
  orders: number;
}

// biome-ignore lint/suspicious/noExplicitAny: the model builds plain event objects
type Ev = any;

export class ReferenceMatcher {
  private readonly symbol: string;
  private readonly collar: number;
  private book: RefOrder[] = [];
  private readonly done = new Set<string>();
  private seq = 0;
  private prio = 1;

  constructor(instrument: Instrument) {
    this.symbol = instrument.symbol;
    this.collar = instrument.marketCollarTicks;
  }

  private queue(side: "BUY" | "SELL"): RefOrder[] {
    return this.book
      .filter((o) => o.side === side)
      .sort((a, b) => (side === "BUY" ? b.price - a.price : a.price - b.price) || a.prio - b.prio);
  }

  private crosses(side: string, limit: number, price: number): boolean {
    return side === "BUY" ? price <= limit : price >= limit;
  }

  private remove(o: RefOrder): void {
    this.book = this.book.filter((x) => x !== o);
    this.done.add(o.id);
  }

  private expired(o: RefOrder, reason: ExpireReason, time: bigint): Ev {
    return {
      type: "OrderExpired",
      seq: ++this.seq,
      orderId: o.id,
      clOrdId: o.clOrdId,
      account: o.account,
      symbol: this.symbol,
      side: o.side,
      expiredQty: o.qty - o.cum,
      cumQty: o.cum,
      reason,
      transactTime: time,
    };
  }

  depth(): { bids: RefLevel[]; asks: RefLevel[] } {
    const levels = (side: "BUY" | "SELL") => {
      const res: RefLevel[] = [];
      for (const o of this.queue(side)) {
        const last = res[res.length - 1];
        if (last && last.price === o.price) {
          last.qty += o.qty - o.cum;
          last.orders++;
        } else res.push({ price: o.price, qty: o.qty - o.cum, orders: 1 });
      }
      return res;
    };
    return { bids: levels("BUY"), asks: levels("SELL") };
  }

  apply(input: MatcherInput): MatcherOutput[] {
    const out: Ev[] = [];
    switch (input.type) {
      case "OrderAccepted": {
        const a = input;
        const rej = (reason: number, text: string): Ev => ({
          type: "OrderRejected",
          orderId: a.orderId,
          clOrdId: a.clOrdId,
          account: a.account,
          symbol: a.symbol,
          side: a.side,
          reason,
          text,
          transactTime: a.transactTime,
          seq: ++this.seq,
        });
        if (this.book.some((o) => o.id === a.orderId)) {
          out.push(rej(6, "duplicate order id"));
          break;
        }
        const opp = this.queue(a.side === "BUY" ? "SELL" : "BUY");
        const order: RefOrder = {
          id: a.orderId,
          clOrdId: a.clOrdId,
          account: a.account,
          side: a.side,
          price: a.price ?? 0,
          qty: a.qty,
          cum: 0,
          prio: 0,
          tif: a.tif,
          stp: a.stpMode,
          postOnly: a.postOnly,
          expire: a.expireTime,
        };
        const market = a.ordType === "MARKET";
        if (market) {
          const best = opp[0];
          if (!best) {
            this.done.add(a.orderId);
            out.push(
              this.expired(
                order,
                a.tif === "FOK" ? "FOK_UNFILLED" : "MARKET_REMAINDER",
                a.transactTime,
              ),
            );
            break;
          }
          order.price = a.side === "BUY" ? best.price + this.collar : best.price - this.collar;
        }
        const crossing = opp.filter((o) => this.crosses(a.side, order.price, o.price));
        if (a.postOnly && crossing.length > 0) {
          this.done.add(a.orderId);
          out.push(rej(99, "post-only order would take liquidity"));
          break;
        }
        const need = a.tif === "FOK" ? a.qty : a.minQty ? Math.min(a.minQty, a.qty) : 0;
        if (need > 0) {
          let avail = 0;
          for (const o of crossing) {
            if (a.stpMode !== "NONE" && o.account === a.account) {
              if (a.stpMode === "CANCEL_OLDEST") continue;
              break;
            }
            avail += o.qty - o.cum;
          }
          if (avail < need) {
            this.done.add(a.orderId);
            out.push(
              this.expired(
                order,
                a.tif === "FOK" ? "FOK_UNFILLED" : "MIN_QTY_NOT_MET",
                a.transactTime,
              ),
            );
            break;
          }
        }
        order.prio = this.prio++;
        const stopped = this.match(order, a.transactTime, out);
        if (stopped || order.cum === order.qty) this.done.add(order.id);
        else if (market || a.tif === "IOC" || a.tif === "FOK") {
          out.push(
            this.expired(
              order,
              market ? "MARKET_REMAINDER" : a.tif === "IOC" ? "IOC_REMAINDER" : "FOK_UNFILLED",
              a.transactTime,
            ),
          );
          this.done.add(order.id);
        } else this.book.push(order);
        break;
      }
      case "OrderCancelRequested": {
        const c = input;
        const o = this.book.find((x) => x.id === c.orderId);
        if (!o) {
          const tooLate = this.done.has(c.orderId);
          out.push({
            type: "CancelRejected",
            orderId: c.orderId,
            clOrdId: c.clOrdId,
            origClOrdId: c.origClOrdId,
            account: c.account,
            symbol: c.symbol,
            reason: tooLate ? 0 : 1,
            text: tooLate ? "too late to cancel: order is no longer open" : "unknown order",
            transactTime: c.transactTime,
            seq: ++this.seq,
          });
          break;
        }
        out.push({
          type: "OrderCancelled",
          seq: ++this.seq,
          orderId: o.id,
          clOrdId: c.clOrdId,
          origClOrdId: o.clOrdId,
          account: o.account,
          symbol: this.symbol,
          side: o.side,
          cancelledQty: o.qty - o.cum,
          cumQty: o.cum,
          reason: "REQUESTED",
          transactTime: c.transactTime,
        });
        this.remove(o);
        break;
      }
      case "OrderReplaceRequested": {
        const r = input;
        const rej = (reason: number, text: string): Ev => ({
          type: "ReplaceRejected",
          orderId: r.orderId,
          clOrdId: r.clOrdId,
          origClOrdId: r.origClOrdId,
          account: r.account,
          symbol: r.symbol,
          reason,
          text,
          transactTime: r.transactTime,
          seq: ++this.seq,
        });
        const o = this.book.find((x) => x.id === r.orderId);
        if (!o) {
          out.push(
            this.done.has(r.orderId)
              ? rej(0, "too late to replace: order is no longer open")
              : rej(1, "unknown order"),
          );
          break;
        }
        const price = r.price ?? o.price;
        const replaced = (qty: number, leaves: number, kept: boolean): Ev => ({
          type: "OrderReplaced",
          seq: ++this.seq,
          orderId: o.id,
          clOrdId: r.clOrdId,
          origClOrdId: o.clOrdId,
          account: o.account,
          symbol: this.symbol,
          side: o.side,
          price,
          qty,
          leavesQty: leaves,
          cumQty: o.cum,
          priorityKept: kept,
          transactTime: r.transactTime,
        });
        if (r.qty <= o.cum) {
          out.push(replaced(o.cum, 0, false));
          this.remove(o);
          break;
        }
        if (price === o.price && r.qty <= o.qty) {
          out.push(replaced(r.qty, r.qty - o.cum, true));
          o.qty = r.qty;
          o.clOrdId = r.clOrdId;
          break;
        }
        const opp = this.queue(o.side === "BUY" ? "SELL" : "BUY");
        const crossing = opp.some((x) => this.crosses(o.side, price, x.price));
        if (crossing && o.postOnly) {
          out.push(rej(99, "post-only order would take liquidity"));
          break;
        }
        out.push(replaced(r.qty, r.qty - o.cum, false));
        this.book = this.book.filter((x) => x !== o);
        o.qty = r.qty;
        o.price = price;
        o.clOrdId = r.clOrdId;
        o.prio = this.prio++;
        const stopped = this.match(o, r.transactTime, out);
        if (stopped || o.cum === o.qty) this.done.add(o.id);
        else this.book.push(o);
        break;
      }
      case "TimeAdvanced": {
        const t = input.transactTime;
        const due = this.book
          .filter((o) => (o.tif === "DAY" || o.tif === "GTD") && o.expire !== null && o.expire <= t)
          .sort((a, b) =>
            a.expire! < b.expire! ? -1 : a.expire! > b.expire! ? 1 : a.prio - b.prio,
          );
        for (const o of due) {
          out.push(this.expired(o, o.tif === "DAY" ? "DAY" : "GTD", t));
          this.remove(o);
        }
        break;
      }
    }
    return out;
  }

  /** Matches `t` (not in the book) against the opposite queue; true if STP ended it. */
  private match(t: RefOrder, time: bigint, out: Ev[]): boolean {
    for (;;) {
      if (t.cum === t.qty) return false;
      const m = this.queue(t.side === "BUY" ? "SELL" : "BUY")[0];
      if (!m || !this.crosses(t.side, t.price, m.price)) return false;
      if (t.stp !== "NONE" && m.account === t.account) {
        if (t.stp === "CANCEL_OLDEST" || t.stp === "CANCEL_BOTH") {
          out.push(this.expired(m, "SELF_TRADE", time));
          this.remove(m);
        }
        if (t.stp === "CANCEL_NEWEST" || t.stp === "CANCEL_BOTH") {
          out.push(this.expired(t, "SELF_TRADE", time));
          return true;
        }
        continue;
      }
      const q = Math.min(t.qty - t.cum, m.qty - m.cum);
      m.cum += q;
      t.cum += q;
      const seq = ++this.seq;
      out.push({
        type: "TradeExecuted",
        seq,
        execId: `${this.symbol}-${String(seq).padStart(10, "0")}`,
        symbol: this.symbol,
        price: m.price,
        qty: q,
        aggressorSide: t.side,
        makerOrderId: m.id,
        makerClOrdId: m.clOrdId,
        makerAccount: m.account,
        makerLeavesQty: m.qty - m.cum,
        makerCumQty: m.cum,
        takerOrderId: t.id,
        takerClOrdId: t.clOrdId,
        takerAccount: t.account,
        takerLeavesQty: t.qty - t.cum,
        takerCumQty: t.cum,
        transactTime: time,
      });
      if (m.cum === m.qty) this.remove(m);
    }
  }
}
