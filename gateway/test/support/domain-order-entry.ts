// A test double of the OrderEntry port that decides with the real domain
// decider (ClOrdID idempotency, unknown symbol, quantity rules, cancel of an
// unknown order) and renders with the real renderer, so HTTP contract tests
// exercise true answers without a running command-service. Accounts listed in
// `profiles` exist; others are unknown (OrdRejReason 15).

import {
  type AccountId,
  type ClOrdId,
  type DomainEvent,
  decideCancel,
  decidePlace,
  evolve,
  executionReport,
  initialOrderState,
  type OrderId,
  type OrderState,
  qty,
  REFERENCE_CATALOG,
  type TimestampNs,
  ZERO_NOTIONAL,
} from "@fxcore/domain";
import type { FixMessage } from "../../src/fix/message.ts";
import { renderReport } from "../../src/orders/render.ts";
import type { OrderEntry, UpstreamOutcome } from "../../src/upstream/order-entry.ts";

export interface DomainOrderEntry extends OrderEntry {
  readonly calls: number;
  /** Makes the next calls fail this way (to test unknown/unavailable outcomes). */
  failNext(outcome: UpstreamOutcome | null): void;
}

export const domainOrderEntry = (accounts: readonly string[]): DomainOrderEntry => {
  const orders = new Map<string, { state: OrderState; answer: FixMessage }>();
  const byId = new Map<string, OrderState>();
  let n = 0;
  let calls = 0;
  let failure: UpstreamOutcome | null = null;
  const now = () => (1_790_000_000_000_000_000n + BigInt(n)) as TimestampNs;
  const key = (a: string, c: string) => `${a}\0${c}`;
  const apply = (s: OrderState, e: DomainEvent) => {
    const r = evolve(s, e);
    if (!r.ok) throw new Error(JSON.stringify(r.error));
    return r.value;
  };
  const risk = (account: string) => ({
    profile: accounts.includes(account)
      ? {
          account: account as AccountId,
          enabled: true,
          maxOrderQty: qty(50_000_000),
          maxNotional: 10n ** 12n,
          creditLimit: 10n ** 13n,
        }
      : null,
    openExposure: ZERO_NOTIONAL,
    referencePrice: null,
  });
  const answer = (report: FixMessage): UpstreamOutcome => ({
    kind: "answer",
    answer: { report, position: String(n) },
  });
  return {
    get calls() {
      return calls;
    },
    failNext(o) {
      failure = o;
    },
    async place(r) {
      calls++;
      if (failure) return failure;
      const existing = orders.get(key(r.account, r.clOrdId));
      if (existing) return answer(existing.answer); // a resend: the original answer
      n++;
      const [event] = decidePlace(
        {
          ...r,
          type: "PlaceOrder",
          orderId: `O${n}` as OrderId,
          stpMode: "NONE",
          transactTime: now(),
        },
        initialOrderState,
        { instruments: REFERENCE_CATALOG, duplicateClOrdId: false, risk: risk(r.account) },
      );
      const state = apply(initialOrderState, event);
      const report = executionReport(event, state)!;
      const fix = renderReport(report, { catalog: REFERENCE_CATALOG, execId: `E${n}` });
      orders.set(key(r.account, r.clOrdId), { state, answer: fix });
      if (state.orderId) byId.set(state.orderId, state);
      return answer(fix);
    },
    async cancel(r) {
      calls++;
      if (failure) return failure;
      n++;
      const target = orders.get(key(r.account, r.origClOrdId))?.state ?? initialOrderState;
      const [event] = decideCancel({ ...r, type: "CancelOrder", transactTime: now() }, target, {
        duplicateClOrdId: orders.has(key(r.account, r.clOrdId)),
      });
      if (event.type === "CancelRejected") {
        return answer(
          renderReport(executionReport(event, target)!, { catalog: REFERENCE_CATALOG }),
        );
      }
      return { kind: "invalid", reason: "pending cancels are not modelled by this double" };
    },
    async replace() {
      calls++;
      return failure ?? { kind: "invalid", reason: "replace is not modelled by this double" };
    },
    async status(r) {
      calls++;
      if (failure) return failure;
      const o = orders.get(key(r.account, r.clOrdId as ClOrdId));
      return o ? answer(o.answer) : { kind: "not-found" };
    },
    async ready() {
      return true;
    },
  };
};
