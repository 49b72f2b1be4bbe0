// The two halves of the domain agree: every event the matcher emits, folded
// with the command-side events into the FIX order state machine (order/evolve),
// is a legal transition, and the states it ends in match the book.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { DomainEvent, MatcherInput } from "../../src/events.ts";
import { createMatchingEngine } from "../../src/matching/engine.ts";
import { ordersInvolved } from "../../src/order/execution-report.ts";
import { evolve, initialOrderState, isLive, type OrderState } from "../../src/order/order-state.ts";
import type { AccountId, ClOrdId, Side } from "../../src/values.ts";
import { EURUSD } from "./fixtures.ts";
import { streamArb } from "./streams.ts";

describe("matcher outputs are legal order-state transitions", () => {
  it("folds every output of random streams through evolve without a violation", () => {
    fc.assert(
      fc.property(streamArb({ freshIds: true }), (raw) => {
        const engine = createMatchingEngine(EURUSD);
        const states = new Map<string, OrderState>();
        const info = new Map<string, { account: AccountId; side: Side; clOrdId: ClOrdId }>();
        const fold = (e: DomainEvent) => {
          for (const id of ordersInvolved(e)) {
            const next = evolve(states.get(id) ?? initialOrderState, e);
            if (!next.ok) throw new Error(`${JSON.stringify(next.error)} on ${e.type}`);
            states.set(id, next.value);
          }
        };
        for (const [i, original] of raw.entries()) {
          let input: MatcherInput = original;
          if (input.type === "OrderAccepted") {
            info.set(input.orderId, {
              account: input.account,
              side: input.side,
              clOrdId: input.clOrdId,
            });
          } else if (input.type !== "TimeAdvanced") {
            // The command side only sends requests for orders it accepted,
            // with the order's account and side and a fresh ClOrdID.
            const o = info.get(input.orderId);
            if (!o) continue;
            input = {
              ...input,
              account: o.account,
              side: o.side,
              origClOrdId: o.clOrdId,
              clOrdId: `${input.clOrdId}-${i}` as ClOrdId,
            };
          }
          fold(input);
          const out = engine.apply(input);
          for (const e of out) {
            fold(e);
            if (e.type === "OrderReplaced") info.get(e.orderId)!.clOrdId = e.clOrdId;
          }
        }
        const resting = new Map(engine.restingOrders().map((r) => [r.orderId as string, r]));
        for (const [id, s] of states) {
          const r = resting.get(id);
          expect(isLive(s)).toBe(r !== undefined);
          if (r) expect([s.cumQty, s.leavesQty]).toEqual([r.cumQty, r.leavesQty]);
        }
      }),
      { numRuns: 150 },
    );
  });
});
