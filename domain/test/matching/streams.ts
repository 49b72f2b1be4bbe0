// Random matcher input streams for property and conformance tests. Reused ids,
// cancels/replaces aimed at recent ids, three accounts and overlapping narrow
// price bands make the interesting cases common: duplicate ids, cancel/replace
// after fill, self-cross, multi-level sweeps, deep-ish books.

import fc from "fast-check";
import type { MatcherInput } from "../../src/events.ts";
import type { StpMode, TimeInForce } from "../../src/values.ts";
import { accept, cancel, replace, tick } from "./fixtures.ts";

type Op =
  | {
      k: "new";
      /** 0: a fresh id; n > 0: reuse the id of the op n back (a duplicate, or a new order over an unknown id). */
      dup: number;
      buy: boolean;
      market: boolean;
      price: number;
      qty: number;
      tif: TimeInForce;
      account: number;
      stp: StpMode;
      minQty: number | null;
      postOnly: boolean;
      ttl: number;
    }
  | { k: "cancel"; back: number }
  | { k: "replace"; back: number; price: number | null; qty: number }
  | { k: "tick" };

export interface StreamOptions {
  /** Only fresh order ids (the command side never reuses one). */
  freshIds?: boolean;
  stp?: boolean;
  market?: boolean;
  postOnly?: boolean;
  minQty?: boolean;
  tifs?: TimeInForce[];
}

export function opArb(opts: StreamOptions = {}): fc.Arbitrary<Op> {
  const tifs = opts.tifs ?? ["GTC", "GTC", "GTC", "DAY", "GTD", "IOC", "FOK"];
  const newOp = fc.record({
    k: fc.constant("new" as const),
    dup: opts.freshIds
      ? fc.constant(0)
      : fc.oneof(
          { weight: 15, arbitrary: fc.constant(0) },
          { weight: 1, arbitrary: fc.integer({ min: 1, max: 20 }) },
        ),
    buy: fc.boolean(),
    market: opts.market === false ? fc.constant(false) : fc.nat(9).map((n) => n === 0),
    price: fc.integer({ min: 0, max: 8 }),
    qty: fc.integer({ min: 1, max: 10 }),
    tif: fc.constantFrom(...tifs),
    account: fc.nat(2),
    stp:
      opts.stp === false
        ? fc.constant("NONE" as StpMode)
        : fc.constantFrom<StpMode>("NONE", "NONE", "CANCEL_NEWEST", "CANCEL_OLDEST", "CANCEL_BOTH"),
    minQty:
      opts.minQty === false
        ? fc.constant(null)
        : fc.oneof(
            { weight: 5, arbitrary: fc.constant(null) },
            { weight: 1, arbitrary: fc.integer({ min: 1, max: 10 }) },
          ),
    postOnly: opts.postOnly === false ? fc.constant(false) : fc.nat(5).map((n) => n === 0),
    ttl: fc.integer({ min: 0, max: 30 }),
  });
  return fc.oneof(
    { weight: 12, arbitrary: newOp },
    {
      weight: 3,
      arbitrary: fc.record({
        k: fc.constant("cancel" as const),
        back: fc.integer({ min: 1, max: 25 }),
      }),
    },
    {
      weight: 3,
      arbitrary: fc.record({
        k: fc.constant("replace" as const),
        back: fc.integer({ min: 1, max: 25 }),
        price: fc.option(fc.integer({ min: 100, max: 112 }), { freq: 3 }),
        qty: fc.integer({ min: 1, max: 12 }),
      }),
    },
    { weight: 1, arbitrary: fc.record({ k: fc.constant("tick" as const) }) },
  );
}

/** Turns ops into inputs; op i happens at time i and a new order's id is `o<i>`. */
export function toInputs(ops: readonly Op[]): MatcherInput[] {
  return ops.map((op, i): MatcherInput => {
    switch (op.k) {
      case "new":
        return accept({
          id: `o${op.dup === 0 ? i : i - op.dup}`,
          side: op.buy ? "BUY" : "SELL",
          ordType: op.market ? "MARKET" : "LIMIT",
          price: op.buy ? 100 + op.price : 104 + op.price,
          qty: op.qty,
          tif: op.market && op.tif !== "FOK" ? "IOC" : op.tif,
          account: `A${op.account}`,
          stp: op.stp,
          minQty: op.minQty,
          postOnly: op.postOnly,
          expireAt: op.tif === "DAY" || op.tif === "GTD" ? i + op.ttl : null,
          time: i,
        });
      case "cancel":
        return cancel(`o${i - op.back}`, { time: i });
      case "replace":
        return replace(`o${i - op.back}`, op.price, op.qty, { time: i });
      default:
        return tick(i);
    }
  });
}

export function streamArb(opts: StreamOptions = {}, maxLength = 120): fc.Arbitrary<MatcherInput[]> {
  return fc.array(opArb(opts), { minLength: 1, maxLength }).map(toInputs);
}

/** A reproducible stream for a seed (same seed ⇒ same stream). */
export function seededStream(
  seed: number,
  length: number,
  opts: StreamOptions = {},
): MatcherInput[] {
  const [ops] = fc.sample(fc.array(opArb(opts), { minLength: length, maxLength: length }), {
    seed,
    numRuns: 1,
  });
  return toInputs(ops!);
}
