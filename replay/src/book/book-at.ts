// The order book of one pair as of an instant, rebuilt from the event log
// through the live matcher's own code path (PartitionMatcher in standby mode:
// state advances, nothing is emitted). The event store holds no matcher
// snapshots (they live in fx.snapshots, ADR 080), so every rebuild starts from
// the empty book and replays the pair's inputs in the order the matcher read them.
import type {
  BookDepth,
  InstrumentCatalog,
  MatcherInput,
  MatchingEngine,
  RestingOrder,
} from "@fxcore/domain";
import { PartitionMatcher } from "@fxcore/matcher";
import type { EventDecoder } from "../log/decoder.ts";
import { pairInputs } from "../log/event-log.ts";
import type { ReadSession } from "../log/read-session.ts";
import { type ReplayResult, replayError } from "../log/replay-error.ts";

/** Up to what the book is rebuilt: an instant (TransactTime, ns), a pair sequence number, or everything. */
export type AsOf =
  | { readonly kind: "time"; readonly ns: bigint }
  | { readonly kind: "seq"; readonly seq: number }
  | { readonly kind: "latest" };

export interface BookAtT {
  readonly pair: string;
  readonly asOf: AsOf;
  /** Inputs applied (matcher inputs only; command-side rejects are not inputs). */
  readonly inputsApplied: number;
  /** Pair seq of the last output the applied inputs produced (0: none yet). */
  readonly lastSeq: number;
  /** The last input applied: its global position in the event store, and its TransactTime. */
  readonly lastInput: { readonly globalPosition: bigint; readonly transactTime: bigint } | null;
  /** Inputs the live matcher would have dead-lettered (skipped here the same way). */
  readonly poisonSkipped: number;
  /** Resting orders in priority order: bids best to worst, then asks; FIFO within a level. */
  readonly resting: readonly RestingOrder[];
  readonly depth: BookDepth;
  /** The engine's state hash (ADR 033): equal books have equal hashes. */
  readonly stateHash: string;
}

export interface BookAtOptions {
  readonly catalog: InstrumentCatalog;
  readonly decode: EventDecoder;
  /** Progress callback, every batch: inputs applied so far. */
  readonly onProgress?: (applied: number) => void;
  readonly batchSize?: number;
}

const INPUT_TYPES = new Set([
  "OrderAccepted",
  "OrderCancelRequested",
  "OrderReplaceRequested",
  "TimeAdvanced",
]);

export async function bookAt(
  s: ReadSession,
  pair: string,
  asOf: AsOf,
  options: BookAtOptions,
): Promise<ReplayResult<BookAtT>> {
  if (!options.catalog.has(pair as never)) return replayError("NOT_FOUND", `unknown pair ${pair}`);
  if (asOf.kind === "seq" && !(Number.isSafeInteger(asOf.seq) && asOf.seq >= 1)) {
    return replayError(
      "BAD_ARGUMENT",
      `sequence number must be a positive integer, got ${asOf.seq}`,
    );
  }
  // Standby for every pair: the engine's state advances exactly as live, no envelopes are built.
  const matcher = new PartitionMatcher({
    catalog: options.catalog,
    writerEpoch: 0,
    homePairs: new Set(),
  });
  let applied = 0;
  let poison = 0;
  let lastInput: BookAtT["lastInput"] = null;
  let firstTime: bigint | null = null;
  let engine: MatchingEngine | undefined;
  let reached = asOf.kind === "latest";
  outer: for await (const batch of pairInputs(s, pair, options.batchSize)) {
    for (const stored of batch) {
      if (!INPUT_TYPES.has(stored.eventType)) continue;
      const d = await options.decode(stored);
      const input = d.event as MatcherInput;
      firstTime ??= input.transactTime;
      // The book is a prefix of the input sequence: stop at the first input past T.
      if (asOf.kind === "time" && input.transactTime > asOf.ns) {
        reached = true;
        break outer;
      }
      const outcome = matcher.apply({ meta: d.meta, payload: d.event });
      if (outcome.kind === "poison") {
        poison++;
        continue;
      }
      applied++;
      lastInput = { globalPosition: stored.globalPosition, transactTime: input.transactTime };
      engine ??= matcher.books().find((b) => b.symbol === pair)?.engine;
      if (asOf.kind === "seq" && (engine?.seq ?? 0) >= asOf.seq) {
        reached = true;
        break outer;
      }
    }
    options.onProgress?.(applied);
  }
  if (firstTime === null)
    return replayError("NOT_FOUND", `no events for pair ${pair} in the event store`);
  if (asOf.kind === "time" && asOf.ns < firstTime) {
    return replayError(
      "OUT_OF_RANGE",
      `${formatNs(asOf.ns)} is before the first event of ${pair} (${formatNs(firstTime)})`,
    );
  }
  if (asOf.kind === "seq" && !reached) {
    return replayError(
      "OUT_OF_RANGE",
      `${pair} has no seq ${asOf.seq}: the log ends at seq ${engine?.seq ?? 0}`,
    );
  }
  const e = engine ?? matcher.books().find((b) => b.symbol === pair)?.engine;
  return {
    ok: true,
    value: {
      pair,
      asOf,
      inputsApplied: applied,
      lastSeq: e?.seq ?? 0,
      lastInput,
      poisonSkipped: poison,
      resting: e?.restingOrders() ?? [],
      depth: e?.depth() ?? { bids: [], asks: [] },
      stateHash: e?.stateHash() ?? "",
    },
  };
}

/** ISO-8601 with nanoseconds, UTC. */
export function formatNs(ns: bigint): string {
  const ms = ns / 1_000_000n;
  const iso = new Date(Number(ms)).toISOString();
  const frac = (ns % 1_000_000_000n).toString().padStart(9, "0");
  return `${iso.slice(0, 19)}.${frac}Z`;
}
