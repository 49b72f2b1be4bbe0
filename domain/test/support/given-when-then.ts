// given(history).when(command, context).then(events) for the decider, and
// given(history).whenEvent(event).thenState(...) / .thenViolation(...) for evolve.

import { expect } from "vitest";
import {
  type Command,
  type DecisionContext,
  type DomainEvent,
  decide,
  evolve,
  evolveAll,
  type OrderState,
  type OrderViolationKind,
} from "../../src/index.ts";

const fold = (history: readonly DomainEvent[]): OrderState => {
  const folded = evolveAll(history);
  if (!folded.ok) throw new Error(`invalid given: ${folded.error.text}`);
  return folded.value;
};

export const given = (...history: DomainEvent[]) => {
  const state = fold(history);
  return {
    state,
    when: <C extends Command>(command: C, context: DecisionContext<C>) => {
      const events = decide(command, state, context);
      return {
        events,
        // biome-ignore lint/suspicious/noThenProperty: the scenario reads given/when/then; never awaited.
        then: (...expected: unknown[]) => {
          expect(events).toEqual(expected);
          // What was decided must also fold: the decider never emits an event its own stream refuses.
          for (const e of events) {
            if (
              e.type === "OrderAccepted" ||
              e.type === "OrderRejected" ||
              e.type.endsWith("Requested")
            ) {
              const applied = evolve(state, e);
              expect(applied.ok, applied.ok ? "" : applied.error.text).toBe(true);
            }
          }
          return events;
        },
      };
    },
    whenEvent: (event: DomainEvent) => {
      const result = evolve(state, event);
      return {
        result,
        thenState: (expected: Partial<OrderState>) => {
          expect(result.ok, result.ok ? "" : result.error.text).toBe(true);
          if (result.ok) expect(result.value).toMatchObject(expected);
          return result.ok ? result.value : state;
        },
        thenUnchanged: () => {
          expect(result.ok, result.ok ? "" : result.error.text).toBe(true);
          if (result.ok) expect(result.value).toBe(state);
        },
        thenViolation: (kind: OrderViolationKind) => {
          expect(result.ok).toBe(false);
          if (!result.ok) expect(result.error.kind).toBe(kind);
        },
      };
    },
  };
};
