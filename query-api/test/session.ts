// Events of a small trading session, from the domain's matching engine.
import {
  accountId,
  clOrdId,
  createMatchingEngine,
  type DomainEvent,
  type MatcherInput,
  orderId,
  priceTicks,
  qty,
  REFERENCE_CATALOG,
  type Symbol,
  symbol,
  timestampNs,
} from "@fxcore/domain";
import { type EventEnvelope, matcherEventId } from "@fxcore/projection-service";

export const T0 = 1_800_000_000_000_000_000n;
let n = 0;
export const uuid = () => `10000000-0000-4000-8000-${(++n).toString(16).padStart(12, "0")}`;

export const accept = (
  id: string,
  account: string,
  side: "BUY" | "SELL",
  price: number,
  q: number,
  ms: number,
  sym = "EURUSD",
): MatcherInput => ({
  type: "OrderAccepted",
  orderId: orderId(id),
  clOrdId: clOrdId(`c-${id}`),
  account: accountId(account),
  symbol: symbol(sym),
  side,
  ordType: "LIMIT",
  price: priceTicks(price),
  qty: qty(q),
  tif: "GTC",
  expireTime: null,
  minQty: null,
  postOnly: false,
  stpMode: "NONE",
  transactTime: timestampNs(T0 + BigInt(ms) * 1_000_000n),
});

export const cancel = (
  id: string,
  account: string,
  side: "BUY" | "SELL",
  ms: number,
  sym = "EURUSD",
): MatcherInput => ({
  type: "OrderCancelRequested",
  orderId: orderId(id),
  clOrdId: clOrdId(`x-${id}`),
  origClOrdId: clOrdId(`c-${id}`),
  account: accountId(account),
  symbol: symbol(sym),
  side,
  transactTime: timestampNs(T0 + BigInt(ms) * 1_000_000n),
});

/** Runs inputs through per-pair engines: the command events and the matcher outputs, in order. */
export const engineSession = () => {
  const engines = new Map<string, ReturnType<typeof createMatchingEngine>>();
  return (inputs: readonly MatcherInput[]): EventEnvelope[] => {
    const out: EventEnvelope[] = [];
    for (const input of inputs) {
      out.push({ eventId: uuid(), event: input as DomainEvent, position: null });
      let e = engines.get(input.symbol);
      if (!e) {
        e = createMatchingEngine(REFERENCE_CATALOG.get(input.symbol as Symbol)!);
        engines.set(input.symbol, e);
      }
      for (const o of e.apply(input))
        out.push({
          eventId: matcherEventId(input.symbol, (o as { seq: number }).seq),
          event: o,
          position: null,
        });
    }
    return out;
  };
};
