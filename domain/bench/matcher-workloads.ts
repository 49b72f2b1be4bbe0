// The two seeded matcher workloads of BENCHMARKS.md ("Matcher"). Inputs are
// generated up front, outside any timed region.
//
// add:   1,000,000 non-crossing GTC limit orders, bids on 500 levels below the
//        mid and asks on 500 above (~1,000 levels), 100 accounts.
// mixed: a 10,000-order prefill, then 1,000,000 operations: 70% passive adds
//        within 10 ticks of the own-side touch (never crossing), 20% cancels of
//        a random order that is resting at that moment, 10% IOC orders limited
//        0–3 ticks through the opposite touch for 1–10 average order sizes, so
//        they sweep up to a few levels. Choosing "resting at that moment" and
//        "the touch" needs the book, so generation drives a throwaway engine.

import type { Instrument } from "../src/instruments/instrument.ts";
import { createMatchingEngine } from "../src/matching/engine.ts";
import type {
  MatcherInput,
  MatcherOutput,
  OrderAccepted,
  OrderCancelRequested,
} from "../src/events.ts";
import type {
  AccountId,
  ClOrdId,
  OrderId,
  PriceTicks,
  Qty,
  Side,
  Symbol,
  TimeInForce,
  TimestampNs,
} from "../src/values.ts";

export const BENCH_INSTRUMENT: Instrument = {
  symbol: "EURUSD" as Symbol,
  base: "EUR",
  quote: "USD",
  priceScale: 5,
  tickSize: 1 as PriceTicks,
  lotSize: 1000 as Qty,
  minQty: 1000 as Qty,
  maxQty: 100_000_000 as Qty,
  marketCollarTicks: 100 as PriceTicks,
  enabled: true,
};

const MID = 110_000; // 1.10000
const T0 = 1_700_000_000_000_000_000n;
const ACCOUNTS: AccountId[] = Array.from({ length: 100 }, (_, i) => `ACC${i}` as AccountId);

/** xorshift32: tiny, seeded, deterministic. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 1;
  }
  next(): number {
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x >>> 0;
    return this.s;
  }
  /** Integer in [0, n). */
  int(n: number): number {
    return this.next() % n;
  }
}

function order(
  id: string,
  side: Side,
  price: number,
  q: number,
  tif: TimeInForce,
  account: AccountId,
  t: bigint,
): OrderAccepted {
  return {
    type: "OrderAccepted",
    orderId: id as OrderId,
    clOrdId: `c${id}` as ClOrdId,
    account,
    symbol: BENCH_INSTRUMENT.symbol,
    side,
    ordType: "LIMIT",
    price: price as PriceTicks,
    qty: q as Qty,
    tif,
    expireTime: null,
    minQty: null,
    postOnly: false,
    stpMode: "NONE",
    transactTime: t as TimestampNs,
  };
}

function cancelOf(id: string, account: AccountId, t: bigint): OrderCancelRequested {
  return {
    type: "OrderCancelRequested",
    orderId: id as OrderId,
    clOrdId: `x${id}` as ClOrdId,
    origClOrdId: `c${id}` as ClOrdId,
    account,
    symbol: BENCH_INSTRUMENT.symbol,
    side: "BUY",
    transactTime: t as TimestampNs,
  };
}

export function addWorkload(n: number, seed = 1): MatcherInput[] {
  const rng = new Rng(seed);
  const inputs: MatcherInput[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const buy = rng.int(2) === 0;
    const offset = 1 + rng.int(500);
    inputs[i] = order(
      `A${i}`,
      buy ? "BUY" : "SELL",
      buy ? MID - offset : MID + offset,
      (1 + rng.int(100)) * 1000,
      "GTC",
      ACCOUNTS[rng.int(100)]!,
      T0 + BigInt(i),
    );
  }
  return inputs;
}

export interface MixedWorkload {
  prefill: MatcherInput[];
  ops: MatcherInput[];
  mix: { adds: number; cancels: number; iocs: number };
  restingAtEnd: number;
}

export function mixedWorkload(n: number, seed = 2, prefillN = 10_000): MixedWorkload {
  const rng = new Rng(seed);
  const sim = createMatchingEngine(BENCH_INSTRUMENT);
  // Resting ids, for picking a random one to cancel in O(1).
  const pool: string[] = [];
  const poolAccount: AccountId[] = [];
  const where = new Map<string, number>();
  const drop = (id: string): void => {
    const i = where.get(id);
    if (i === undefined) return;
    const last = pool.length - 1;
    const lastId = pool[last]!;
    pool[i] = lastId;
    poolAccount[i] = poolAccount[last]!;
    where.set(lastId, i);
    pool.pop();
    poolAccount.pop();
    where.delete(id);
  };
  const out: MatcherOutput[] = [];
  const run = (input: MatcherInput): void => {
    out.length = 0;
    sim.applyInto(input, out);
    for (const e of out) {
      if (e.type === "TradeExecuted" && e.makerLeavesQty === 0) drop(e.makerOrderId);
    }
  };
  let seq = 0;
  const bestOr = (side: "bids" | "asks", dflt: number): number => {
    const d = sim.depth(1)[side][0];
    return d === undefined ? dflt : d.price;
  };
  const passive = (): OrderAccepted => {
    const buy = rng.int(2) === 0;
    const bid = bestOr("bids", MID - 1);
    const ask = bestOr("asks", MID + 1);
    // Within 10 ticks of the own touch, sometimes improving it, never crossing.
    let p = buy ? bid + 1 - rng.int(11) : ask - 1 + rng.int(11);
    if (buy && p >= ask) p = ask - 1;
    if (!buy && p <= bid) p = bid + 1;
    const id = `M${seq++}`;
    const account = ACCOUNTS[rng.int(100)]!;
    const o = order(
      id,
      buy ? "BUY" : "SELL",
      p,
      (1 + rng.int(100)) * 1000,
      "GTC",
      account,
      T0 + BigInt(seq),
    );
    where.set(id, pool.length);
    pool.push(id);
    poolAccount.push(account);
    return o;
  };
  const prefill: MatcherInput[] = [];
  for (let i = 0; i < prefillN; i++) {
    const o = passive();
    prefill.push(o);
    run(o);
  }
  const ops: MatcherInput[] = new Array(n);
  const mix = { adds: 0, cancels: 0, iocs: 0 };
  for (let i = 0; i < n; i++) {
    const r = rng.int(100);
    let input: MatcherInput;
    if (r < 70 || (r < 90 && pool.length === 0)) {
      input = passive();
      mix.adds++;
    } else if (r < 90) {
      const k = rng.int(pool.length);
      const id = pool[k]!;
      input = cancelOf(id, poolAccount[k]!, T0 + BigInt(seq++));
      drop(id);
      mix.cancels++;
    } else {
      const buy = rng.int(2) === 0;
      const through = rng.int(4);
      const p = buy ? bestOr("asks", MID + 1) + through : bestOr("bids", MID - 1) - through;
      const id = `M${seq++}`;
      input = order(
        id,
        buy ? "BUY" : "SELL",
        p,
        (1 + rng.int(10)) * 50_000,
        "IOC",
        ACCOUNTS[rng.int(100)]!,
        T0 + BigInt(seq),
      );
      mix.iocs++;
    }
    ops[i] = input;
    run(input);
  }
  return { prefill, ops, mix, restingAtEnd: sim.size };
}
