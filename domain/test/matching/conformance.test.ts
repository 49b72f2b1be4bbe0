// Conformance: the engine against the naive reference model on seeded random
// command streams; the full output stream (trades included) and the final
// depth must be identical.

import { describe, expect, it } from "vitest";
import type { MatcherOutput } from "../../src/events.ts";
import { createMatchingEngine } from "../../src/matching/engine.ts";
import { EURUSD } from "./fixtures.ts";
import { ReferenceMatcher } from "./reference-model.ts";
import { seededStream } from "./streams.ts";

const SEEDS = 200;
const LENGTH = 400;

describe("engine conforms to the reference model", () => {
  it(`matches outputs and final depth on ${SEEDS} seeded streams of ${LENGTH} inputs`, () => {
    const seen = {
      duplicateId: 0,
      cancelAfterFill: 0,
      iocResidual: 0,
      multiLevelFok: 0,
      replaceAtSharedLevel: 0,
      selfCross: 0,
      gtdExpiry: 0,
    };
    for (let seed = 1; seed <= SEEDS; seed++) {
      const inputs = seededStream(seed, LENGTH);
      const engine = createMatchingEngine(EURUSD);
      const ref = new ReferenceMatcher(EURUSD);
      const trades: MatcherOutput[] = [];
      for (const [i, input] of inputs.entries()) {
        if (input.type === "OrderReplaceRequested") {
          const st = engine.orderStatus(input.orderId);
          if (st.state === "LIVE" && input.price === null && input.qty <= st.order.qty) {
            const level = engine
              .depth()
              .bids.concat(engine.depth().asks)
              .find((l) => l.price === st.order.price);
            if (level && level.orders > 1) seen.replaceAtSharedLevel++;
          }
        }
        const expected = ref.apply(input);
        const actual = engine.apply(input);
        if (JSON.stringify(actual, big) !== JSON.stringify(expected, big)) {
          // Fail with a readable diff and the position of the first divergence.
          expect({ seed, i, input, actual }).toEqual({ seed, i, input, actual: expected });
        }
        for (const e of actual) {
          if (e.type === "TradeExecuted") trades.push(e);
          if (e.type === "OrderRejected" && e.reason === 6) seen.duplicateId++;
          if (e.type === "CancelRejected" && e.reason === 0) seen.cancelAfterFill++;
          if (e.type === "OrderExpired" && e.reason === "IOC_REMAINDER" && e.cumQty > 0)
            seen.iocResidual++;
          if (e.type === "OrderExpired" && e.reason === "SELF_TRADE") seen.selfCross++;
          if (e.type === "OrderExpired" && e.reason === "GTD") seen.gtdExpiry++;
        }
        if (input.type === "OrderAccepted" && input.tif === "FOK") {
          const prices = new Set(
            actual.flatMap((e) => (e.type === "TradeExecuted" ? [e.price] : [])),
          );
          if (prices.size > 1) seen.multiLevelFok++;
        }
      }
      expect(engine.depth()).toEqual(ref.depth());
    }
    // Every named case actually happened in the streams.
    for (const [k, n] of Object.entries(seen)) expect(n, k).toBeGreaterThan(0);
  }, 60_000);
});

const big = (_k: string, v: unknown) => (typeof v === "bigint" ? `${v}n` : v);
