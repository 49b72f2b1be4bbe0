// Properties of the engine over random input streams (fast-check).

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { MatcherInput, MatcherOutput } from "../../src/events.ts";
import type { ClOrdId, TimestampNs } from "../../src/values.ts";
import { createMatchingEngine, restoreMatchingEngine } from "../../src/matching/engine.ts";
import { EURUSD } from "./fixtures.ts";
import { streamArb } from "./streams.ts";

const RUNS = { numRuns: 150 };

function run(
  inputs: readonly MatcherInput[],
  each?: (input: MatcherInput, out: MatcherOutput[]) => void,
) {
  const e = createMatchingEngine(EURUSD);
  const all: MatcherOutput[] = [];
  for (const input of inputs) {
    const out = e.apply(input);
    each?.(input, out);
    all.push(...out);
  }
  return { engine: e, outputs: all };
}

/** Byte-level rendering of events (bigint included) for "byte-identical" checks. */
const bytes = (x: unknown) => JSON.stringify(x, (_k, v) => (typeof v === "bigint" ? `${v}n` : v));

describe("matching engine properties", () => {
  it("the book is never crossed at rest", () => {
    fc.assert(
      fc.property(streamArb(), (inputs) => {
        const e = createMatchingEngine(EURUSD);
        for (const input of inputs) {
          e.apply(input);
          const { bids, asks } = e.depth(1);
          if (bids[0] && asks[0]) expect(bids[0].price).toBeLessThan(asks[0].price);
        }
      }),
      RUNS,
    );
  });

  it("FIX quantities hold: cumQty = Σ fills, leaves = qty − cum, no overfill, buy fills = sell fills, terminal is final", () => {
    fc.assert(
      fc.property(streamArb(), (inputs) => {
        interface Track {
          qty: number;
          cum: number;
          side: string;
          done: boolean;
        }
        const live = new Map<string, Track>();
        const fills = { BUY: 0, SELL: 0 };
        const execIds = new Set<string>();
        const { engine } = run(inputs, (input, out) => {
          if (
            input.type === "OrderAccepted" &&
            !out.some((o) => o.type === "OrderRejected" && o.reason === 6)
          ) {
            live.set(input.orderId, { qty: input.qty, cum: 0, side: input.side, done: false });
          }
          for (const ev of out) {
            switch (ev.type) {
              case "TradeExecuted": {
                expect(execIds.has(ev.execId)).toBe(false);
                execIds.add(ev.execId);
                const m = live.get(ev.makerOrderId)!;
                const t = live.get(ev.takerOrderId)!;
                expect(m.done || t.done).toBe(false);
                expect(m.side).not.toBe(t.side);
                m.cum += ev.qty;
                t.cum += ev.qty;
                fills[m.side as "BUY"] += ev.qty;
                fills[t.side as "BUY"] += ev.qty;
                expect([ev.makerCumQty, ev.makerLeavesQty]).toEqual([m.cum, m.qty - m.cum]);
                expect([ev.takerCumQty, ev.takerLeavesQty]).toEqual([t.cum, t.qty - t.cum]);
                expect(m.cum).toBeLessThanOrEqual(m.qty);
                expect(t.cum).toBeLessThanOrEqual(t.qty);
                if (m.cum === m.qty) m.done = true;
                break;
              }
              case "OrderCancelled":
              case "OrderExpired": {
                const o = live.get(ev.orderId)!;
                expect(o.done).toBe(false);
                expect(ev.cumQty).toBe(o.cum);
                expect(
                  (ev.type === "OrderCancelled" ? ev.cancelledQty : ev.expiredQty) + o.cum,
                ).toBe(o.qty);
                o.done = true;
                break;
              }
              case "OrderReplaced": {
                const o = live.get(ev.orderId)!;
                expect(o.done).toBe(false);
                expect(ev.cumQty).toBe(o.cum);
                o.qty = ev.qty;
                expect(ev.leavesQty).toBe(o.qty - o.cum);
                if (ev.leavesQty === 0) o.done = true;
                break;
              }
              default:
            }
          }
          for (const [, t] of live) if (!t.done && t.cum === t.qty) t.done = true;
        });
        expect(fills.BUY).toBe(fills.SELL);
        // Whatever rests is live in the tracker with the same quantities.
        for (const r of engine.restingOrders()) {
          const t = live.get(r.orderId)!;
          expect(t.done).toBe(false);
          expect([r.qty, r.cumQty, r.leavesQty]).toEqual([t.qty, t.cum, t.qty - t.cum]);
        }
      }),
      RUNS,
    );
  });

  it("FIFO within a level: makers are taken in the opposite side's priority order", () => {
    fc.assert(
      fc.property(streamArb(), (inputs) => {
        const e = createMatchingEngine(EURUSD);
        for (const input of inputs) {
          const before = e.restingOrders();
          const out = e.apply(input);
          // The aggressor is a new order or a replaced one that now crosses: the trades say which side.
          const aggressorSide = out.find((ev) => ev.type === "TradeExecuted")?.aggressorSide;
          if (!aggressorSide) continue;
          // Makers reached in turn: traded with, or expired by self-trade prevention.
          const touched = out.flatMap((ev) => {
            if (ev.type === "TradeExecuted") return [ev.makerOrderId as string];
            if (
              ev.type === "OrderExpired" &&
              ev.reason === "SELF_TRADE" &&
              before.some((o) => o.orderId === ev.orderId && o.side !== aggressorSide)
            )
              return [ev.orderId as string];
            return [];
          });
          const unique = touched.filter((id, i) => touched.indexOf(id) === i);
          const queue = before
            .filter((o) => o.side !== aggressorSide)
            .map((o) => o.orderId as string);
          expect(unique).toEqual(queue.slice(0, unique.length));
        }
      }),
      RUNS,
    );
  });

  it("IOC, FOK and MARKET orders never rest; FOK fills fully or not at all; post-only never takes", () => {
    fc.assert(
      fc.property(streamArb(), (inputs) => {
        const postOnly = new Set<string>();
        const e = createMatchingEngine(EURUSD);
        for (const input of inputs) {
          const out = e.apply(input);
          if (input.type !== "OrderAccepted") {
            for (const ev of out)
              if (ev.type === "TradeExecuted") expect(postOnly.has(ev.takerOrderId)).toBe(false);
            continue;
          }
          const dup = out.some((o) => o.type === "OrderRejected" && o.reason === 6);
          if (dup) continue;
          if (input.postOnly) postOnly.add(input.orderId);
          else postOnly.delete(input.orderId);
          const taken = out.reduce(
            (s, ev) =>
              ev.type === "TradeExecuted" && ev.takerOrderId === input.orderId ? s + ev.qty : s,
            0,
          );
          if (input.tif === "IOC" || input.tif === "FOK" || input.ordType === "MARKET") {
            expect(e.orderStatus(input.orderId).state).not.toBe("LIVE");
          }
          if (input.tif === "FOK") expect([0, input.qty]).toContain(taken);
          if (input.postOnly) expect(taken).toBe(0);
        }
      }),
      RUNS,
    );
  });

  it("is deterministic: the same inputs twice give byte-identical outputs and state", () => {
    fc.assert(
      fc.property(streamArb(), (inputs) => {
        const a = run(inputs);
        const b = run(inputs);
        expect(b.outputs).toEqual(a.outputs);
        expect(bytes(b.outputs)).toBe(bytes(a.outputs));
        expect(Buffer.from(b.engine.snapshot()).equals(Buffer.from(a.engine.snapshot()))).toBe(
          true,
        );
        expect(b.engine.stateHash()).toBe(a.engine.stateHash());
      }),
      RUNS,
    );
  });

  it("replays: snapshot/restore mid-stream gives the same remaining outputs and final state hash", () => {
    fc.assert(
      fc.property(streamArb(), fc.nat(), (inputs, cut) => {
        const k = cut % (inputs.length + 1);
        const original = createMatchingEngine(EURUSD);
        for (const input of inputs.slice(0, k)) original.apply(input);
        const snap = original.snapshot();
        const restored = restoreMatchingEngine(EURUSD, snap);
        if (!restored.ok) throw new Error(JSON.stringify(restored.error));
        const copy = restored.value;
        expect(Buffer.from(copy.snapshot()).equals(Buffer.from(snap))).toBe(true);
        for (const input of inputs.slice(k)) {
          expect(bytes(copy.apply(input))).toBe(bytes(original.apply(input)));
        }
        expect(copy.stateHash()).toBe(original.stateHash());
        expect(copy.restingOrders()).toEqual(original.restingOrders());
      }),
      RUNS,
    );
  });
  // What MatcherOutputSink.discards lets a caller leave blank: fields read only into events.
  const blankEventOnlyFields = (input: MatcherInput): MatcherInput => {
    const t = 0n as TimestampNs;
    switch (input.type) {
      case "OrderAccepted":
        return { ...input, transactTime: t };
      case "OrderCancelRequested":
        return { ...input, clOrdId: "" as ClOrdId, origClOrdId: "" as ClOrdId, transactTime: t };
      case "OrderReplaceRequested":
        return { ...input, origClOrdId: "" as ClOrdId, transactTime: t };
      default:
        return input;
    }
  };
  it("a sink that discards its events leaves the engine in the same state, seq by seq, as an array (event-only input fields blank)", () => {
    const discard = { push: () => 0, discards: true } as const;
    fc.assert(
      fc.property(streamArb(), (inputs) => {
        const kept = createMatchingEngine(EURUSD);
        const dropped = createMatchingEngine(EURUSD);
        for (const input of inputs) {
          const out: MatcherOutput[] = [];
          kept.applyInto(input, out);
          dropped.applyInto(blankEventOnlyFields(input), discard);
          expect(dropped.seq).toBe(kept.seq);
        }
        expect(dropped.stateHash()).toBe(kept.stateHash());
        expect(bytes(dropped.restingOrders())).toBe(bytes(kept.restingOrders()));
      }),
      RUNS,
    );
  });
});
