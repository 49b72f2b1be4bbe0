// A deterministic trading session across pairs, and the matcher's outputs for
// it produced by the live matcher's own PartitionMatcher: new orders (limit,
// IOC, market, GTD), cancels, replaces (price and quantity), command-side
// rejects and time ticks, with the engine's depth captured along the way.
import {
  accountId,
  type BookDepth,
  clOrdId,
  type DomainEvent,
  type MatcherInput,
  OrdRejReason,
  type OrderRejected,
  orderId,
  pairSeq,
  priceTicks,
  qty,
  REFERENCE_CATALOG,
  type RestingOrder,
  symbol,
  type TimestampNs,
  timestampNs,
} from "@fxcore/domain";
import { PartitionMatcher } from "@fxcore/matcher";
import type { Envelope, EnvelopeMeta } from "@fxcore/schemas";

export const T0 = 1_795_000_000_000_000_000n; // 2026-11-17T…Z
export const WRITER_EPOCH = 3;

export interface Step {
  /** The command-side event (what command-service wrote and the relay published). */
  readonly input: Envelope;
  /** Its stream in the event store. */
  readonly stream: string;
  /** What the matcher produced for it (empty for command-side rejects). */
  readonly outputs: readonly Envelope[];
}

export interface Capture {
  readonly pair: string;
  readonly afterStep: number;
  readonly at: TimestampNs;
  readonly seq: number;
  readonly depth: BookDepth;
  readonly resting: readonly RestingOrder[];
  readonly stateHash: string;
}

export interface Session {
  readonly steps: readonly Step[];
  readonly captures: readonly Capture[];
  readonly pairs: readonly string[];
}

const MIDS: Record<string, number> = { EURUSD: 108_000, USDJPY: 150_000, GBPUSD: 127_000 };

export function uuidFrom(prefix: number, n: number): string {
  return `00000000-${prefix.toString(16).padStart(4, "0")}-4000-8000-${n.toString(16).padStart(12, "0")}`;
}

/** `n` steps over `pairs`; captures every `captureEvery` steps. */
export function* generateInputs(options: {
  n: number;
  pairs: readonly string[];
  seed?: number;
  stepNs?: bigint;
}): Generator<{ input: MatcherInput | OrderRejected; stream: string }> {
  let s = options.seed ?? 11;
  const rnd = () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
  const known: {
    id: string;
    pair: string;
    account: string;
    clOrdId: string;
    side: "BUY" | "SELL";
    price: number;
    qty: number;
  }[] = [];
  let replaces = 0;
  for (let i = 0; i < options.n; i++) {
    const pair = options.pairs[Math.floor(rnd() * options.pairs.length)]!;
    const sym = symbol(pair);
    const t = timestampNs(T0 + BigInt(i) * (options.stepNs ?? 100_000_000n));
    const account = `ACC${1 + Math.floor(rnd() * 4)}`;
    const r = rnd();
    const mine = known.filter((o) => o.pair === pair);
    if (r < 0.12 && mine.length > 0) {
      const o = mine[Math.floor(rnd() * mine.length)]!;
      yield {
        stream: `order-${o.id}`,
        input: {
          type: "OrderCancelRequested",
          orderId: orderId(o.id),
          clOrdId: clOrdId(`x${i}`),
          origClOrdId: clOrdId(o.clOrdId),
          account: accountId(o.account),
          symbol: sym,
          side: o.side,
          transactTime: t,
        },
      };
      continue;
    }
    if (r < 0.22 && mine.length > 0) {
      const o = mine[Math.floor(rnd() * mine.length)]!;
      const reduce = rnd() < 0.5;
      const newQty = reduce ? Math.max(1_000, o.qty - 1_000) : o.qty + 2_000;
      const newPrice = reduce ? o.price : o.price + (o.side === "BUY" ? 1 : -1);
      const newClOrdId = `r${++replaces}-${i}`;
      yield {
        stream: `order-${o.id}`,
        input: {
          type: "OrderReplaceRequested",
          orderId: orderId(o.id),
          clOrdId: clOrdId(newClOrdId),
          origClOrdId: clOrdId(o.clOrdId),
          account: accountId(o.account),
          symbol: sym,
          side: o.side,
          price: priceTicks(newPrice),
          qty: qty(newQty),
          transactTime: t,
        },
      };
      // Later requests name the newest ClOrdID (as a FIX client would once it saw the replace).
      o.clOrdId = newClOrdId;
      o.qty = newQty;
      o.price = newPrice;
      continue;
    }
    if (r < 0.24) {
      yield {
        stream: `request-${account}-bad${i}`,
        input: {
          type: "OrderRejected",
          orderId: null,
          clOrdId: clOrdId(`bad${i}`),
          account: accountId(account),
          symbol: pair,
          side: "BUY",
          reason: OrdRejReason.IncorrectQuantity,
          text: "quantity is not a multiple of the lot size",
          transactTime: t,
        },
      };
      continue;
    }
    if (r < 0.26) {
      yield {
        stream: `time-${pair}`,
        input: { type: "TimeAdvanced", symbol: sym, transactTime: t },
      };
      continue;
    }
    const side = rnd() < 0.5 ? "BUY" : "SELL";
    const kind = rnd();
    const market = kind < 0.05;
    const price = MIDS[pair]! + Math.floor((rnd() - 0.5) * 16);
    const q = 1_000 * (1 + Math.floor(rnd() * 10));
    const id = `O${i}`;
    const tif = market ? "IOC" : kind < 0.12 ? "IOC" : kind < 0.2 ? "GTD" : "GTC";
    yield {
      stream: `order-${id}`,
      input: {
        type: "OrderAccepted",
        orderId: orderId(id),
        clOrdId: clOrdId(`c${i}`),
        account: accountId(account),
        symbol: sym,
        side,
        ordType: market ? "MARKET" : "LIMIT",
        price: market ? null : priceTicks(price),
        qty: qty(q),
        tif,
        expireTime: tif === "GTD" ? timestampNs(t + 1_500_000_000n) : null,
        minQty: null,
        postOnly: false,
        stpMode: "NONE",
        transactTime: t,
      },
    };
    if (!market && tif !== "IOC")
      known.push({ id, pair, account, clOrdId: `c${i}`, side, price, qty: q });
    if (known.length > 400) known.splice(0, known.length - 400);
  }
}

export function metaFor(eventId: string, t: TimestampNs, correlation: string): EnvelopeMeta {
  return {
    eventId,
    occurredAt: t,
    correlationId: correlation,
    causationId: null,
    traceparent: null,
    tracestate: null,
    pairSeq: null,
    writerEpoch: null,
  };
}

/** The session with outputs from PartitionMatcher and the engine's books captured every `captureEvery` steps. */
export function buildSession(options: {
  n: number;
  pairs: readonly string[];
  seed?: number;
  captureEvery?: number;
}): Session {
  const matcher = new PartitionMatcher({ catalog: REFERENCE_CATALOG, writerEpoch: WRITER_EPOCH });
  const steps: Step[] = [];
  const captures: Capture[] = [];
  let i = 0;
  for (const { input, stream } of generateInputs(options)) {
    const eventId = uuidFrom(1, i + 1);
    const env: Envelope = {
      meta: metaFor(eventId, input.transactTime, `corr-${i}`),
      payload: input as DomainEvent,
    };
    const outcome = matcher.apply(env);
    if (outcome.kind === "poison") throw new Error(`fixture produced poison: ${outcome.reason}`);
    steps.push({ input: env, stream, outputs: outcome.kind === "outputs" ? outcome.outputs : [] });
    if (options.captureEvery !== undefined && (i + 1) % options.captureEvery === 0) {
      for (const { symbol: pair, engine } of matcher.books()) {
        captures.push({
          pair,
          afterStep: i,
          at: input.transactTime,
          seq: engine.seq,
          depth: engine.depth(),
          resting: engine.restingOrders(),
          stateHash: engine.stateHash(),
        });
      }
    }
    i++;
  }
  return { steps, captures, pairs: options.pairs };
}

/** Every event of the session in the order it happened (inputs, each followed by its outputs). */
export function sessionEvents(session: Session): { eventId: string; event: DomainEvent }[] {
  return session.steps.flatMap((s) => [
    { eventId: s.input.meta.eventId, event: s.input.payload as DomainEvent },
    ...s.outputs.map((o) => ({ eventId: o.meta.eventId, event: o.payload as DomainEvent })),
  ]);
}

export { pairSeq };
