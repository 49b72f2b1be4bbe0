// A scripted trading session across accounts and pairs, produced by the
// domain's own matching engine so the events are what the matcher would emit.
import {
  accountId,
  clOrdId,
  createMatchingEngine,
  type DomainEvent,
  type MatcherInput,
  type OrderAccepted,
  orderId,
  priceTicks,
  qty,
  symbol,
  timestampNs,
} from "@fxcore/domain";
import { type EventEnvelope, matcherEventId } from "../src/models/envelope.ts";
import { T0 } from "./fixtures.ts";

const instrument = (base: string, quote: string, priceScale: number) => ({
  symbol: symbol(base + quote),
  base,
  quote,
  priceScale,
  tickSize: priceTicks(1),
  lotSize: qty(1_000),
  minQty: qty(1_000),
  maxQty: qty(50_000_000),
  marketCollarTicks: priceTicks(500),
  priceBandTicks: priceTicks(5_000),
  enabled: true,
});

/** Deterministic pseudo-random session: `n` orders over EURUSD and USDJPY, four accounts. */
export const scriptedSession = (n: number, seed = 7, tag = 0): EventEnvelope[] =>
  scriptedSessionWithBooks(n, seed, tag).events;

/** The session plus each pair's final L2 book according to the engine itself. */
export const scriptedSessionWithBooks = (n: number, seed = 7, tag = 0) => {
  let s = seed;
  const rnd = () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
  const engines = {
    EURUSD: { engine: createMatchingEngine(instrument("EUR", "USD", 5) as never), mid: 110000 },
    USDJPY: { engine: createMatchingEngine(instrument("USD", "JPY", 3) as never), mid: 150000 },
  };
  const out: EventEnvelope[] = [];
  let cmdId = 0;
  // `tag` (0-15) keeps ids of separate sessions apart
  const uuid = () =>
    `0000000${tag.toString(16)}-0000-4000-8000-${(++cmdId).toString(16).padStart(12, "0")}`;
  const live: {
    id: string;
    sym: keyof typeof engines;
    account: string;
    clOrdId: string;
    side: "BUY" | "SELL";
  }[] = [];
  for (let i = 0; i < n; i++) {
    const sym = rnd() < 0.6 ? "EURUSD" : "USDJPY";
    const { mid } = engines[sym];
    const t = timestampNs(T0 + BigInt(i) * 150_000_000n);
    const account = `ACC${1 + Math.floor(rnd() * 4)}`;
    const r = rnd();
    let input: MatcherInput;
    if (r < 0.15 && live.length > 0) {
      const k = Math.floor(rnd() * live.length);
      const o = live.splice(k, 1)[0]!;
      input = {
        type: "OrderCancelRequested",
        orderId: orderId(o.id),
        clOrdId: clOrdId(tag ? `cx${tag}-${i}` : `cx${i}`),
        origClOrdId: clOrdId(o.clOrdId),
        account: accountId(o.account),
        symbol: symbol(o.sym),
        side: o.side,
        transactTime: t,
      };
    } else {
      const side = rnd() < 0.5 ? "BUY" : "SELL";
      const market = rnd() < 0.1;
      const price = mid + Math.floor((rnd() - 0.5) * 20);
      const accepted: OrderAccepted = {
        type: "OrderAccepted",
        orderId: orderId(tag ? `O${tag}-${i}` : `O${i}`),
        clOrdId: clOrdId(tag ? `c${tag}-${i}` : `c${i}`),
        account: accountId(account),
        symbol: symbol(sym),
        side,
        ordType: market ? "MARKET" : "LIMIT",
        price: market ? null : priceTicks(price),
        qty: qty(1_000 * (1 + Math.floor(rnd() * 20))),
        tif: market ? "IOC" : rnd() < 0.1 ? "IOC" : "GTC",
        expireTime: null,
        minQty: null,
        postOnly: false,
        stpMode: "NONE",
        transactTime: t,
      };
      input = accepted;
      live.push({ id: accepted.orderId, sym, account, clOrdId: accepted.clOrdId, side });
    }
    out.push({ eventId: uuid(), event: input as DomainEvent, position: BigInt(cmdId) });
    const engine = engines[input.symbol as keyof typeof engines].engine;
    const outputs = engine.apply(input) as readonly DomainEvent[];
    for (const e of outputs) {
      out.push({
        eventId: matcherEventId(input.symbol, (e as { seq: number }).seq),
        event: e,
        position: null,
      });
    }
  }
  const books = Object.fromEntries(Object.entries(engines).map(([k, v]) => [k, v.engine.depth()]));
  return { events: out, books };
};
