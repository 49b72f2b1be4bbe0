import {
  accountId,
  clOrdId,
  type MatcherInput,
  orderId,
  priceTicks,
  qty,
  REFERENCE_CATALOG,
  type Side,
  symbol,
  type TimeInForce,
  timestampNs,
} from "@fxcore/domain";
import type { Envelope } from "@fxcore/schemas";

// A seeded stream of matcher inputs over several pairs, shaped like a real
// session: passive adds near a mid, crossing orders, cancels and replaces of
// earlier orders (some already filled: too late), market/IOC/FOK takers and
// clock ticks that expire GTD orders. Same seed, same stream.

const mids: Record<string, number> = {
  EURUSD: 108_000,
  GBPUSD: 127_000,
  USDJPY: 150_000,
  AUDUSD: 66_000,
  EURGBP: 85_000,
};

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface StreamOptions {
  readonly seed: number;
  readonly count: number;
  readonly pairs: readonly string[];
  readonly accounts?: number;
}

export function generateInputs(o: StreamOptions): Envelope[] {
  const rnd = mulberry32(o.seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const accounts = Array.from({ length: o.accounts ?? 6 }, (_, i) => accountId(`ACC${i + 1}`));
  const live = new Map<
    string,
    Array<{ id: string; cl: string; account: string; side: Side; q: number }>
  >();
  const out: Envelope[] = [];
  let t = 1_800_000_000_000_000_000n;
  for (let i = 0; i < o.count; i++) {
    t += BigInt(1 + Math.floor(rnd() * 1_000_000));
    const sym = pick(o.pairs);
    const inst = REFERENCE_CATALOG.get(symbol(sym))!;
    const tick = inst.tickSize as number;
    const mid = mids[sym] ?? 100_000;
    const orders = live.get(sym) ?? [];
    live.set(sym, orders);
    const r = rnd();
    const meta = {
      eventId: `in-${o.seed}-${i}`,
      occurredAt: timestampNs(t),
      correlationId: `corr-${i}`,
      causationId: null,
      traceparent: null,
      tracestate: null,
      pairSeq: null,
      writerEpoch: null,
    };
    let payload: MatcherInput;
    if (r < 0.06 && orders.length > 0) {
      const victim = orders.splice(Math.floor(rnd() * orders.length), 1)[0]!;
      payload = {
        type: "OrderCancelRequested",
        orderId: orderId(victim.id),
        clOrdId: clOrdId(`${victim.cl}-c`),
        origClOrdId: clOrdId(victim.cl),
        account: accountId(victim.account),
        symbol: symbol(sym),
        side: victim.side,
        transactTime: timestampNs(t),
      };
    } else if (r < 0.1 && orders.length > 0) {
      const target = pick(orders);
      const newQty = 1_000 * (1 + Math.floor(rnd() * 20));
      payload = {
        type: "OrderReplaceRequested",
        orderId: orderId(target.id),
        clOrdId: clOrdId(`${target.cl}-r${i}`),
        origClOrdId: clOrdId(target.cl),
        account: accountId(target.account),
        symbol: symbol(sym),
        side: target.side,
        price: priceTicks(mid + tick * (Math.floor(rnd() * 21) - 10)),
        qty: qty(newQty),
        transactTime: timestampNs(t),
      };
      target.cl = `${target.cl}-r${i}`;
    } else if (r < 0.12) {
      payload = { type: "TimeAdvanced", symbol: symbol(sym), transactTime: timestampNs(t) };
    } else {
      const side: Side = rnd() < 0.5 ? "BUY" : "SELL";
      const market = rnd() < 0.05;
      const tifRoll = rnd();
      const tif: TimeInForce = market
        ? "IOC"
        : tifRoll < 0.1
          ? "IOC"
          : tifRoll < 0.15
            ? "FOK"
            : tifRoll < 0.25
              ? "GTD"
              : "GTC";
      // Mostly passive, sometimes through the mid so orders cross.
      const offset = Math.floor(rnd() * 12) - 2;
      const px = side === "BUY" ? mid - offset * tick : mid + offset * tick;
      const id = `O${sym}${i}`;
      const cl = `C${i}`;
      const account = pick(accounts);
      const q = 1_000 * (1 + Math.floor(rnd() * 10));
      payload = {
        type: "OrderAccepted",
        orderId: orderId(id),
        clOrdId: clOrdId(cl),
        account,
        symbol: symbol(sym),
        side,
        ordType: market ? "MARKET" : "LIMIT",
        price: market ? null : priceTicks(px),
        qty: qty(q),
        tif,
        expireTime: tif === "GTD" ? timestampNs(t + BigInt(Math.floor(rnd() * 50_000_000))) : null,
        minQty: null,
        postOnly: !market && tif === "GTC" && rnd() < 0.05,
        stpMode: rnd() < 0.5 ? "CANCEL_NEWEST" : "NONE",
        transactTime: timestampNs(t),
      };
      if (tif === "GTC" || tif === "GTD") orders.push({ id, cl, account, side, q });
    }
    out.push({ meta, payload });
  }
  return out;
}
