// The read models against independent references: the domain's own order
// state machine (evolve) and matching engine book, and naive recomputations of
// candles and positions from the trade list.
import {
  type DomainEvent,
  evolveAll,
  OrdStatus,
  ordersInvolved,
  type TradeExecuted,
} from "@fxcore/domain";
import { describe, expect, it } from "vitest";
import { INTERVALS, intervalNames } from "../../src/models/candles.ts";
import { topOfBook } from "../../src/models/depth.ts";
import { MemoryReadModels } from "../../src/models/memory.ts";
import { pairs } from "../fixtures.ts";
import { scriptedSessionWithBooks } from "../session.ts";

describe("a scripted session across accounts and pairs", () => {
  const { events, books } = scriptedSessionWithBooks(1_500, 3);
  const m = new MemoryReadModels(pairs);
  for (const e of events) m.apply(e);
  const trades = events
    .map((e) => e.event)
    .filter((e): e is TradeExecuted => e.type === "TradeExecuted");

  it("has trades, cancels and rejects in it (the comparison is not vacuous)", () => {
    const types = new Set(events.map((e) => e.event.type));
    expect(trades.length).toBeGreaterThan(100);
    expect([...types]).toEqual(
      expect.arrayContaining(["OrderAccepted", "TradeExecuted", "OrderCancelled", "OrderExpired"]),
    );
  });

  it("every order equals the domain's FIX state machine folded over its events", () => {
    const byOrder = new Map<string, DomainEvent[]>();
    for (const { event } of events)
      for (const id of ordersInvolved(event)) byOrder.set(id, [...(byOrder.get(id) ?? []), event]);
    expect(byOrder.size).toBe(m.orders.size);
    for (const [id, evs] of byOrder) {
      const s = evolveAll(evs);
      if (!s.ok) throw new Error(`${id}: ${s.error.kind} ${s.error.text}`);
      const o = m.order(id);
      expect({
        id,
        status: o?.ordStatus,
        cum: o?.cumQty,
        leaves: o?.leavesQty,
        notional: o?.notional,
        clOrdId: o?.clOrdId,
        price: o?.price,
        qty: o?.orderQty,
      }).toEqual({
        id,
        status: s.value.status,
        cum: s.value.cumQty,
        leaves: s.value.leavesQty,
        notional: s.value.tradedNotional,
        clOrdId: s.value.clOrdId,
        price: s.value.price,
        qty: s.value.orderQty,
      });
    }
  });

  it("depth equals the matching engine's own book", () => {
    for (const [symbol, book] of Object.entries(books)) {
      const top = topOfBook(m.depth.values(), symbol, 10_000);
      expect(top.bids.map((l) => [l.price, Number(l.qty), l.orders])).toEqual(
        book.bids.map((l) => [l.price, l.qty, l.orders]),
      );
      expect(top.asks.map((l) => [l.price, Number(l.qty), l.orders])).toEqual(
        book.asks.map((l) => [l.price, l.qty, l.orders]),
      );
    }
  });

  it("candles equal a naive OHLCV over the trade list", () => {
    for (const interval of intervalNames) {
      const naive = new Map<
        string,
        { o: number; h: number; l: number; c: number; v: bigint; n: number }
      >();
      for (const t of trades) {
        const k = `${t.symbol}|${interval}|${t.transactTime - (t.transactTime % INTERVALS[interval])}`;
        const x = naive.get(k);
        if (!x)
          naive.set(k, { o: t.price, h: t.price, l: t.price, c: t.price, v: BigInt(t.qty), n: 1 });
        else
          naive.set(k, {
            o: x.o,
            h: Math.max(x.h, t.price),
            l: Math.min(x.l, t.price),
            c: t.price,
            v: x.v + BigInt(t.qty),
            n: x.n + 1,
          });
      }
      const mine = [...m.candles.values()].filter((c) => c.interval === interval);
      expect(mine.length).toBe(naive.size);
      for (const c of mine) {
        expect({ o: c.open, h: c.high, l: c.low, c: c.close, v: c.volume, n: c.trades }).toEqual(
          naive.get(`${c.symbol}|${interval}|${c.start}`),
        );
      }
    }
  });

  it("positions' net quantities and balances equal the signed sums of fills", () => {
    const net = new Map<string, bigint>();
    const cash = new Map<string, bigint>();
    const add = (m: Map<string, bigint>, k: string, v: bigint) => m.set(k, (m.get(k) ?? 0n) + v);
    for (const t of trades) {
      const info = pairs(t.symbol)!;
      const takerSign = t.aggressorSide === "BUY" ? 1n : -1n;
      for (const [account, sign] of [
        [t.takerAccount, takerSign],
        [t.makerAccount, -takerSign],
      ] as const) {
        add(net, `${account}|${t.symbol}`, sign * BigInt(t.qty));
        add(cash, `${account}|${info.base}`, sign * BigInt(t.qty) * 10n ** 8n);
        add(
          cash,
          `${account}|${info.quote}`,
          -sign * BigInt(t.qty) * BigInt(t.price) * 10n ** BigInt(8 - info.priceScale),
        );
      }
    }
    for (const [k, v] of net) expect(m.positions.get(k)?.netQty).toBe(v);
    expect(new Map([...m.balances].filter(([, v]) => v !== 0n))).toEqual(
      new Map([...cash].filter(([, v]) => v !== 0n)),
    );
  });

  it("reference prices equal the last trade per pair, recomputed naively from the trade list", () => {
    const last = new Map<string, TradeExecuted>();
    for (const t of trades) {
      const cur = last.get(t.symbol);
      if (!cur || t.seq > cur.seq) last.set(t.symbol, t);
    }
    expect(last.size).toBe(2);
    expect(
      new Map([...m.referencePrices].map(([k, r]) => [k, [r.price, r.seq, r.transactTime]])),
    ).toEqual(new Map([...last].map(([k, t]) => [k, [t.price, t.seq, t.transactTime]])));
  });

  it("open exposure equals Σ leaves × price of the domain state machine's live LIMIT orders, and the engine's book per pair", () => {
    const byOrder = new Map<string, DomainEvent[]>();
    for (const { event } of events)
      for (const id of ordersInvolved(event)) byOrder.set(id, [...(byOrder.get(id) ?? []), event]);
    const naive = new Map<string, { notional: bigint; orders: number }>();
    const terminal = new Set<string>([
      OrdStatus.Filled,
      OrdStatus.Canceled,
      OrdStatus.Rejected,
      OrdStatus.Expired,
    ]);
    for (const evs of byOrder.values()) {
      const s = evolveAll(evs);
      if (!s.ok) throw new Error(s.error.text);
      const o = s.value;
      if (o.status === null || terminal.has(o.status) || o.ordType !== "LIMIT") continue;
      if (o.price === null || o.leavesQty === 0) continue;
      const k = `${o.account}|${o.symbol}`;
      const cur = naive.get(k) ?? { notional: 0n, orders: 0 };
      naive.set(k, {
        notional: cur.notional + BigInt(o.leavesQty) * BigInt(o.price),
        orders: cur.orders + 1,
      });
    }
    expect(naive.size).toBeGreaterThan(2);
    expect(
      new Map([...m.exposure].map(([k, x]) => [k, { notional: x.notional, orders: x.orders }])),
    ).toEqual(naive);
    for (const [symbol, book] of Object.entries(books)) {
      const resting = [...book.bids, ...book.asks].reduce(
        (a, l) => a + BigInt(l.price) * BigInt(l.qty),
        0n,
      );
      const mine = [...m.exposure.values()]
        .filter((x) => x.symbol === symbol)
        .reduce((a, x) => a + x.notional, 0n);
      expect(mine).toBe(resting);
    }
  });
});
