// Properties of decide + evolve over random input: the decider never throws and
// always answers; random event streams never break the FIX invariants; a
// terminal order never changes.
// Property runs are CPU-bound: generous timeouts keep them green on a loaded machine.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  checkInvariants,
  clOrdId,
  type DomainEvent,
  decide,
  evolve,
  execId,
  initialOrderState,
  isTerminal,
  lookupInstrument,
  type OrderState,
  OrdRejReason,
  orderId,
  type PlaceOrder,
  pairSeq,
  priceTicks,
  qty,
  timestampNs,
} from "../../src/index.ts";
import {
  accepted,
  cancelled,
  cancelRejected,
  cancelRequested,
  expired,
  replaced,
  replaceRequested,
  trade,
} from "../support/events.ts";
import { CATALOG, place, placeContext, T0 } from "../support/fixtures.ts";

const decimalish = fc.oneof(
  fc.integer({ min: -5, max: 60_000 }).map((n) => String(n * 1000)),
  fc.stringMatching(/^-?\d{1,9}(\.\d{1,7})?$/),
  fc.string({ maxLength: 12 }),
  fc.constant("1.10000"),
);

const anyTif = fc.constantFrom(
  "DAY" as const,
  "GTC" as const,
  "IOC" as const,
  "FOK" as const,
  "GTD" as const,
);

// A valid order, then zero to two random mutations of its fields.
const validOrder = fc
  .record({
    symbol: fc.constantFrom("EURUSD", "GBPUSD", "USDJPY"),
    side: fc.constantFrom("BUY" as const, "SELL" as const),
    market: fc.boolean(),
    tif: anyTif,
    lots: fc.integer({ min: 1, max: 5_000 }),
    transactTime: fc.bigInt({ min: 0n, max: 4_000_000_000n * 1_000_000_000n }).map(timestampNs),
  })
  .map(({ symbol, side, market, tif, lots, transactTime }) =>
    place({
      symbol,
      side,
      ordType: market ? "MARKET" : "LIMIT",
      // Near the reference price of 1.10000 (the fixtures' risk context) on every pair.
      price: market ? null : symbol === "USDJPY" ? "110.000" : "1.10001",
      orderQty: String(lots * 1000),
      tif: market && (tif === "GTC" || tif === "GTD") ? "IOC" : tif,
      expireTime: tif === "GTD" && !market ? timestampNs(transactTime + 60_000_000_000n) : null,
      transactTime,
    }),
  );

const mutation: fc.Arbitrary<Partial<PlaceOrder>> = fc.oneof(
  fc.record({ symbol: fc.constantFrom("USDTRY", "XAUXAG", "NOPE", "", "EUR/USD") }),
  fc.record({ ordType: fc.constantFrom("LIMIT" as const, "MARKET" as const) }),
  fc.record({ price: fc.option(decimalish, { nil: null }) }),
  fc.record({ orderQty: decimalish }),
  fc.record({ tif: anyTif }),
  fc.record({
    expireTime: fc.option(
      fc.bigInt({ min: -(10n ** 12n), max: 10n ** 13n }).map((d) => timestampNs(T0 + d)),
      { nil: null },
    ),
  }),
  fc.record({ minQty: fc.option(decimalish, { nil: null }) }),
  fc.record({ postOnly: fc.boolean() }),
  fc.record({
    stpMode: fc.constantFrom(
      "NONE" as const,
      "CANCEL_NEWEST" as const,
      "CANCEL_OLDEST" as const,
      "CANCEL_BOTH" as const,
    ),
  }),
);

const placeOrder: fc.Arbitrary<PlaceOrder> = fc
  .tuple(validOrder, fc.array(mutation, { maxLength: 2 }))
  .map(([order, mutations]) => Object.assign({}, order, ...mutations) as PlaceOrder);

describe("decide(PlaceOrder)", { timeout: 30_000 }, () => {
  it("always answers with exactly one event, accepted only when every rule holds", () => {
    const reasons = new Set<number>(Object.values(OrdRejReason));
    const seen = new Map<string, number>();
    fc.assert(
      fc.property(placeOrder, fc.integer({ min: 0, max: 9 }), (command, d) => {
        // One in ten is a duplicate ClOrdID.
        const duplicate = d === 0;
        const events = decide(
          command,
          initialOrderState,
          placeContext({ duplicateClOrdId: duplicate }),
        );
        expect(events).toHaveLength(1);
        const [e] = events;
        const outcome = e?.type === "OrderRejected" ? `reject ${e.reason}` : String(e?.type);
        seen.set(outcome, (seen.get(outcome) ?? 0) + 1);
        if (e?.type === "OrderAccepted") {
          expect(duplicate).toBe(false);
          const found = lookupInstrument(CATALOG, command.symbol);
          expect(found.ok && found.value.enabled).toBe(true);
          if (!found.ok) return;
          const i = found.value;
          expect(e.qty % i.lotSize === 0 && e.qty >= i.minQty && e.qty <= i.maxQty).toBe(true);
          if (e.ordType === "MARKET") expect(e.price).toBeNull();
          else expect(e.price !== null && e.price > 0 && e.price % i.tickSize === 0).toBe(true);
          if (e.minQty !== null) expect(e.minQty <= e.qty).toBe(true);
          if (e.tif === "DAY" || e.tif === "GTD") expect(e.expireTime! > e.transactTime).toBe(true);
          else expect(e.expireTime).toBeNull();
          if (e.postOnly)
            expect(e.ordType === "LIMIT" && e.tif !== "IOC" && e.tif !== "FOK").toBe(true);
          const folded = evolve(initialOrderState, e);
          expect(folded.ok && folded.value.leavesQty === e.qty).toBe(true);
        } else {
          expect(e?.type).toBe("OrderRejected");
          if (e?.type !== "OrderRejected") return;
          expect(reasons.has(e.reason)).toBe(true);
          expect(e.text.length).toBeGreaterThan(0);
          if (duplicate) expect(e.reason).toBe(OrdRejReason.DuplicateOrder);
          expect(evolve(initialOrderState, e).ok).toBe(true);
        }
      }),
      { numRuns: 1500 },
    );
    // The generator must reach both outcomes and most reasons, or the property says little.
    expect(seen.get("OrderAccepted") ?? 0, JSON.stringify([...seen])).toBeGreaterThan(10);
    expect(
      [...seen.keys()].filter((k) => k.startsWith("reject")).length,
      JSON.stringify([...seen]),
    ).toBeGreaterThanOrEqual(6);
  });
});

// ---- random event streams for one order ----

type Step =
  | {
      readonly op: "fill";
      readonly pick: number;
      readonly role: "MAKER" | "TAKER";
      readonly price: number;
    }
  | {
      readonly op:
        | "cancelRequest"
        | "replaceRequest"
        | "cancelReject"
        | "cancel"
        | "expire"
        | "tick";
    }
  | { readonly op: "replace"; readonly lots: number }
  | { readonly op: "junk"; readonly event: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    arbitrary: fc.record({
      op: fc.constant("fill" as const),
      pick: fc.nat(),
      role: fc.constantFrom("MAKER" as const, "TAKER" as const),
      price: fc.integer({ min: 109_000, max: 111_000 }),
    }),
    weight: 5,
  },
  {
    arbitrary: fc
      .constantFrom("cancelRequest", "replaceRequest", "cancelReject", "tick")
      .map((op) => ({ op }) as Step),
    weight: 3,
  },
  { arbitrary: fc.constantFrom("cancel", "expire").map((op) => ({ op }) as Step), weight: 1 },
  {
    arbitrary: fc.integer({ min: 0, max: 3_000 }).map((lots) => ({ op: "replace", lots }) as const),
    weight: 1,
  },
  {
    arbitrary: fc.integer({ min: 0, max: 1_000 }).map((event) => ({ op: "junk", event }) as const),
    weight: 1,
  },
);

let execCounter = 0;

/** The event a correct matcher would send for this step, given the order as it is. */
const consistentEvent = (s: OrderState, st: Step, n: number): DomainEvent => {
  const lots = s.leavesQty / 1000;
  switch (st.op) {
    case "fill": {
      // 1..leaves whole lots.
      const fill = (1 + (st.pick % lots)) * 1000;
      const cum = s.cumQty + fill;
      return trade(fill, cum, s.orderQty - cum, {
        role: st.role,
        price: priceTicks(st.price),
        execId: execId(`P-${++execCounter}`),
        seq: pairSeq(n),
      });
    }
    case "cancelRequest":
      return cancelRequested({ clOrdId: clOrdId(`CX-${n}`) });
    case "replaceRequest":
      return replaceRequested({ clOrdId: clOrdId(`RX-${n}`) });
    case "cancelReject":
      return cancelRejected({ clOrdId: clOrdId(`CX-${n - 1}`) });
    case "tick":
      return {
        type: "TimeAdvanced",
        symbol: "EURUSD" as never,
        transactTime: timestampNs(T0 + BigInt(n)),
      };
    case "cancel":
      return cancelled(s.leavesQty, s.cumQty, { clOrdId: clOrdId(`CX-${n}`) });
    case "expire":
      return expired(s.leavesQty, s.cumQty);
    case "replace": {
      const newQty = Math.max(1000, s.cumQty + st.lots * 1000);
      return replaced(newQty, s.cumQty, { clOrdId: clOrdId(`RX-${n}`) });
    }
    case "junk":
      return junkEvent(st.event, n);
  }
};

/** Arbitrary, often inconsistent events: wrong quantities, wrong ids, repeats. */
const junkEvent = (k: number, n: number): DomainEvent => {
  const q = (k % 7) * 1000;
  switch (k % 8) {
    case 0:
      return accepted();
    case 1:
      return trade(q, q, 1_000_000 - q, { execId: execId(`J-${k % 3}`) });
    case 2:
      return cancelled(q, k % 5 === 0 ? 0 : q);
    case 3:
      return expired(q, 0);
    case 4:
      return replaced(q + 1000, q % 2000);
    case 5:
      return trade(1000, 1000, 0, { makerOrderId: orderId("O-2") });
    case 6:
      return { ...cancelRequested(), orderId: orderId(`O-${k % 2 === 0 ? 1 : 3}`) };
    default:
      return {
        type: "OrderRejected",
        orderId: orderId("O-1"),
        clOrdId: clOrdId(`C-${n}`),
        account: "ACC-1" as never,
        symbol: "EURUSD",
        side: "BUY",
        reason: OrdRejReason.Other,
        text: "x",
        transactTime: T0,
      };
  }
};

const CHANGING = new Set([
  "OrderAccepted",
  "OrderRejected",
  "TradeExecuted",
  "OrderCancelled",
  "OrderExpired",
  "OrderReplaced",
]);

describe("evolve over random streams", { timeout: 30_000 }, () => {
  it("never throws; every accepted step keeps the invariants; terminal states never change", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5_000 }),
        fc.array(step, { maxLength: 40 }),
        (lots, steps) => {
          let state: OrderState = initialOrderState;
          const first = evolve(state, accepted({ qty: qty(lots * 1000) }));
          expect(first.ok).toBe(true);
          if (first.ok) state = first.value;
          let n = 0;
          for (const st of steps) {
            const event = consistentEvent(state, st, ++n);
            const before = state;
            const r = evolve(state, event);
            if (isTerminal(before)) {
              if (r.ok) expect(r.value).toBe(before);
              else expect(CHANGING.has(event.type)).toBe(true);
              continue;
            }
            if (st.op !== "junk") {
              // A correct matcher's events are always accepted by the fold.
              expect(r.ok, r.ok ? "" : `${st.op}: ${r.error.text}`).toBe(true);
            }
            if (r.ok) {
              state = r.value;
              expect(checkInvariants(state)).toBeNull();
              expect(state.cumQty).toBe(state.fills.reduce((a, f) => a + f.qty, 0));
              if (isTerminal(state)) expect(state.leavesQty).toBe(0);
              else expect(state.leavesQty).toBe(state.orderQty - state.cumQty);
            } else {
              // A refused event leaves the caller's state as it was (nothing mutated).
              expect(checkInvariants(before)).toBeNull();
            }
          }
        },
      ),
      { numRuns: 600 },
    );
  });

  it("fully arbitrary event soup never throws and never yields a state that breaks the invariants", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 1_000 }), { maxLength: 30 }), (ks) => {
        let state: OrderState = initialOrderState;
        let terminalAt: OrderState | null = null;
        ks.forEach((k, i) => {
          const r = evolve(state, junkEvent(k, i));
          if (!r.ok) return;
          if (terminalAt !== null) expect(r.value).toBe(terminalAt);
          state = r.value;
          expect(checkInvariants(state)).toBeNull();
          if (isTerminal(state) && terminalAt === null) terminalAt = state;
        });
      }),
      { numRuns: 600 },
    );
  });
});
