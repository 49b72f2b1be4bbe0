// Shared by the snapshot tests: a matcher with deep books from the seeded
// input stream, and a hand-made state with non-ASCII and broken strings.
import { REFERENCE_CATALOG, type SnapshotState } from "@fxcore/domain";
import { PartitionMatcher } from "../../src/partition-matcher.ts";
import { generateInputs } from "./input-stream.ts";

export const PAIRS = ["EURUSD", "USDJPY", "GBPUSD", "AUDUSD"];

export function deepMatcher(count: number, seed = 5): PartitionMatcher {
  const m = new PartitionMatcher({
    catalog: REFERENCE_CATALOG,
    writerEpoch: 1,
    homePairs: undefined,
  });
  for (const input of generateInputs({ seed, count, pairs: PAIRS })) m.apply(input);
  return m;
}

export const oddState: SnapshotState = {
  symbol: "EURUSD",
  seq: 12,
  nextPrio: 99,
  orders: [
    {
      orderId: "O-ü€-1",
      clOrdId: "c\u{1F600}x",
      account: "lone \uD800 surrogate",
      side: 1,
      tif: 6,
      stp: 2,
      postOnly: true,
      price: 108_123,
      qty: 1_000_000,
      cumQty: 250_000,
      prio: 7,
      expireTime: 9_000_000_000_000_000_000n,
    },
    {
      orderId: "",
      clOrdId: "b",
      account: "",
      side: 0,
      tif: 1,
      stp: 0,
      postOnly: false,
      price: 1,
      qty: 2,
      cumQty: 0,
      prio: 8,
      expireTime: null,
    },
  ],
  terminalGeneration: 4,
  terminalPrevious: ["z", "", "ä", "a"],
  terminalCurrent: ["\uDC00", "b\u{1F600}"],
};
