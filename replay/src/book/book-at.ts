// The order book of one pair as of an instant, rebuilt from the event log
// through the live matcher's own code path (PartitionMatcher in standby mode:
// state advances, nothing is emitted). The event store holds no matcher
// snapshots (they live in fx.snapshots, ADR 080), so every rebuild starts from
// the empty book and replays the pair's inputs in the order the matcher read them.
import type { BookDepth, InstrumentCatalog, MatcherInput, RestingOrder } from "@fxcore/domain";
import type { InputReader } from "../codec/avro-compiler.ts";
import { type EventDecoder, unreadable } from "../log/decoder.ts";
import { pairInputBlocks } from "../log/input-copy.ts";
import type { ReadSession } from "../log/read-session.ts";
import { ReplayFailure, type ReplayResult, replayError } from "../log/replay-error.ts";
import { StandbyApplier } from "./standby-applier.ts";

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
  /** Progress callback, about every 5,000 inputs: inputs applied so far. */
  readonly onProgress?: (applied: number) => void;
  /** Rows per COPY page (a reader that stops early leaves at most one page unread). */
  readonly pageRows?: number;
}

const PROGRESS_EVERY = 5_000;

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
  const applier = new StandbyApplier(options.catalog);
  let applied = 0;
  let poison = 0;
  let lastPosition = -1;
  let lastTime = 0n;
  let firstTime: bigint | null = null;
  let reached = asOf.kind === "latest";
  let reported = 0;
  let broken: { position: number; why: string } | undefined;
  const payloads = options.decode.payloads;
  let lastId = 0;
  let lastRead: InputReader | null = null;
  const serde = options.decode.serde;
  outer: for await (const block of pairInputBlocks(s, pair, options.pageRows)) {
    const { buf, start, end, position } = block;
    for (let i = 0; i < block.count; i++) {
      const from = start[i]!;
      const to = end[i]!;
      // Schema id of the framed bytes; anything malformed is left to the serde to name.
      const id = to - from >= 5 && buf[from] === 0 ? buf.readInt32BE(from + 1) : -1;
      let read: InputReader | null | undefined =
        id === lastId ? lastRead : id > 0 ? payloads.inputReaderFor(id) : null;
      if (read === undefined) {
        await payloads.prepare(id);
        read = payloads.inputReaderFor(id) ?? null;
      }
      lastId = id;
      lastRead = read;
      let input: MatcherInput;
      let eventId: string | undefined;
      if (read !== null) {
        try {
          input = read.read(buf, from + 5, to) as MatcherInput;
        } catch (e) {
          broken = { position: position[i]!, why: `INVALID_BODY: ${(e as Error).message}` };
          break outer;
        }
      } else {
        const r = await serde.decode(buf.subarray(from, to));
        if (!r.ok) {
          broken = { position: position[i]!, why: `${r.error.kind}: ${r.error.message}` };
          break outer;
        }
        input = r.value.payload as MatcherInput;
        eventId = r.value.meta.eventId;
      }
      firstTime ??= input.transactTime;
      // The book is a prefix of the input sequence: stop at the first input past T.
      if (asOf.kind === "time" && input.transactTime > asOf.ns) {
        reached = true;
        break outer;
      }
      const outcome =
        read !== null
          ? applier.applyWithId(input, buf, read.idStart(), read.idEnd())
          : applier.apply(input, eventId!);
      if (outcome === "poison") {
        poison++;
        continue;
      }
      applied++;
      lastPosition = position[i]!;
      lastTime = input.transactTime;
      if (asOf.kind === "seq" && (applier.engine(pair)?.seq ?? 0) >= asOf.seq) {
        reached = true;
        break outer;
      }
    }
    if (applied - reported >= PROGRESS_EVERY) {
      reported = applied;
      options.onProgress?.(applied);
    }
  }
  if (applied !== reported) options.onProgress?.(applied);
  if (broken !== undefined) {
    // Named the way every replay names an unreadable event (the scan selected only the bytes).
    const [stored] = await s.query<{ stream_id: string; stream_version: string; event_id: string }>(
      "SELECT stream_id, stream_version::text, event_id::text FROM es_events WHERE global_position = $1",
      [broken.position],
    );
    throw new ReplayFailure({
      kind: "UNDECODABLE",
      message: unreadable(
        {
          eventId: stored?.event_id ?? "?",
          streamId: stored?.stream_id ?? "?",
          streamVersion: BigInt(stored?.stream_version ?? -1),
          globalPosition: BigInt(broken.position),
        },
        broken.why,
      ),
    });
  }
  const lastInput: BookAtT["lastInput"] =
    lastPosition < 0 ? null : { globalPosition: BigInt(lastPosition), transactTime: lastTime };
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
      `${pair} has no seq ${asOf.seq}: the log ends at seq ${applier.engine(pair)?.seq ?? 0}`,
    );
  }
  const e = applier.engine(pair);
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
