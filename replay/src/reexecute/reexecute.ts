// The proof that recorded trades follow the rules: re-run the live matcher's
// deterministic code path (PartitionMatcher) over a pair's recorded inputs and
// compare every output with the recorded one, payload and envelope metadata,
// event by event. The first difference is reported.
import type { InstrumentCatalog, MatcherInput } from "@fxcore/domain";
import { PartitionMatcher } from "@fxcore/matcher";
import { canonicalBytes } from "@fxcore/projection-service";
import type { Envelope } from "@fxcore/schemas";
import type { DecodedEvent, EventDecoder } from "../log/decoder.ts";
import { pairInputs, pairOutputs, type StoredEvent } from "../log/event-log.ts";
import type { ReadSession } from "../log/read-session.ts";
import { ReplayFailure, type ReplayResult, replayError } from "../log/replay-error.ts";

export type DivergenceKind =
  /** The recorded event's payload differs from what the rules produce. */
  | "PAYLOAD"
  /** Same payload, different envelope metadata (event id, causation, time, seq …). */
  | "META"
  /** The rules produce an output the log does not hold (a gap, or a truncated stream). */
  | "MISSING_OUTPUT"
  /** The log holds an output the rules do not produce. */
  | "UNEXPECTED_OUTPUT"
  /** The recorded output's bytes cannot be decoded. */
  | "UNDECODABLE"
  /** A recorded writer epoch lower than an earlier one (a fenced writer's output got in). */
  | "EPOCH_REGRESSION";

export interface Divergence {
  readonly seq: number;
  readonly kind: DivergenceKind;
  readonly detail: string;
  /** The input that produced (or should have produced) the output. */
  readonly input: { readonly eventId: string; readonly globalPosition: bigint } | null;
  readonly recorded: {
    readonly eventId: string;
    readonly globalPosition: bigint;
    readonly envelope?: Envelope;
  } | null;
  readonly reexecuted: Envelope | null;
}

export interface ReexecutionReport {
  readonly pair: string;
  readonly fromSeq: number;
  readonly toSeq: number | null;
  readonly inputs: number;
  /** Outputs compared and equal. */
  readonly matched: number;
  /** Outputs the rules produced after the last recorded one when no upper bound was given (the sink may lag a live system). */
  readonly unrecordedTail: number;
  readonly poisonSkipped: number;
  readonly divergence: Divergence | null;
}

export interface ReexecuteOptions {
  readonly catalog: InstrumentCatalog;
  readonly decode: EventDecoder;
  readonly fromSeq?: number;
  readonly toSeq?: number;
  readonly onProgress?: (inputs: number, matched: number) => void;
}

const INPUT_TYPES = new Set([
  "OrderAccepted",
  "OrderCancelRequested",
  "OrderReplaceRequested",
  "TimeAdvanced",
]);

export async function reexecute(
  s: ReadSession,
  pair: string,
  options: ReexecuteOptions,
): Promise<ReplayResult<ReexecutionReport>> {
  const fromSeq = options.fromSeq ?? 1;
  const toSeq = options.toSeq ?? null;
  if (!options.catalog.has(pair as never)) return replayError("NOT_FOUND", `unknown pair ${pair}`);
  if (!Number.isSafeInteger(fromSeq) || fromSeq < 1)
    return replayError("BAD_ARGUMENT", `--from-seq must be a positive integer, got ${fromSeq}`);
  if (toSeq !== null && (!Number.isSafeInteger(toSeq) || toSeq < fromSeq))
    return replayError(
      "BAD_ARGUMENT",
      `--to-seq must be an integer >= --from-seq (${fromSeq}), got ${toSeq}`,
    );

  const matcher = new PartitionMatcher({ catalog: options.catalog, writerEpoch: 0 });
  const recorded = recordedOutputs(s, pair, fromSeq, options.decode);
  let inputs = 0;
  let matched = 0;
  let tail = 0;
  let poison = 0;
  let sawInput = false;
  let lastEpoch = -1;
  const report = (divergence: Divergence | null): ReplayResult<ReexecutionReport> => ({
    ok: true,
    value: {
      pair,
      fromSeq,
      toSeq,
      inputs,
      matched,
      unrecordedTail: tail,
      poisonSkipped: poison,
      divergence,
    },
  });

  for await (const batch of pairInputs(s, pair)) {
    for (const stored of batch) {
      if (!INPUT_TYPES.has(stored.eventType)) continue;
      sawInput = true;
      const d = await options.decode(stored);
      const outcome = matcher.apply({ meta: d.meta, payload: d.event as MatcherInput });
      if (outcome.kind === "poison") {
        poison++;
        continue;
      }
      if (outcome.kind !== "outputs") continue;
      inputs++;
      const input = { eventId: stored.eventId, globalPosition: stored.globalPosition };
      for (const out of outcome.outputs) {
        const seq = out.meta.pairSeq ?? 0;
        if (seq < fromSeq) continue;
        if (toSeq !== null && seq > toSeq) return report(null);
        const next = await recorded.next();
        if (next.done) {
          if (toSeq !== null) {
            return report({
              seq,
              kind: "MISSING_OUTPUT",
              detail: `the log ends before seq ${seq}`,
              input,
              recorded: null,
              reexecuted: out,
            });
          }
          tail++;
          continue;
        }
        const rec = next.value;
        const divergence = compare(seq, input, rec, out, lastEpoch);
        if (divergence !== null) return report(divergence);
        if (!("undecodable" in rec)) lastEpoch = Number(rec.meta.writerEpoch ?? lastEpoch);
        matched++;
      }
    }
    options.onProgress?.(inputs, matched);
  }
  if (!sawInput) return replayError("NOT_FOUND", `no events for pair ${pair} in the event store`);
  const extra = await recorded.next();
  if (!extra.done && tail === 0) {
    const rec = extra.value;
    const stored = "undecodable" in rec ? rec.undecodable : rec.stored;
    const seq = Number(stored.streamVersion) + 1;
    if (toSeq === null || seq <= toSeq) {
      return report({
        seq,
        kind: "UNEXPECTED_OUTPUT",
        detail: `the log holds seq ${seq} but the recorded inputs produce no more outputs`,
        input: null,
        recorded: { eventId: stored.eventId, globalPosition: stored.globalPosition },
        reexecuted: null,
      });
    }
  }
  await recorded.return(undefined);
  return report(null);
}

type Recorded = DecodedEvent | { readonly undecodable: StoredEvent; readonly reason: string };

/** Recorded outputs, decoded; an unreadable one is yielded as such (it is a finding, not a crash). */
async function* recordedOutputs(
  s: ReadSession,
  pair: string,
  fromSeq: number,
  decode: EventDecoder,
): AsyncGenerator<Recorded> {
  for await (const batch of pairOutputs(s, pair, fromSeq)) {
    for (const stored of batch) {
      try {
        yield await decode(stored);
      } catch (e) {
        if (!(e instanceof ReplayFailure)) throw e;
        yield { undecodable: stored, reason: e.error.message };
      }
    }
  }
}

function compare(
  seq: number,
  input: Divergence["input"],
  rec: Recorded,
  out: Envelope,
  lastEpoch: number,
): Divergence | null {
  if ("undecodable" in rec) {
    return {
      seq,
      kind: "UNDECODABLE",
      detail: rec.reason,
      input,
      recorded: {
        eventId: rec.undecodable.eventId,
        globalPosition: rec.undecodable.globalPosition,
      },
      reexecuted: out,
    };
  }
  const recordedSeq = Number(rec.stored.streamVersion) + 1;
  const recordedRef = {
    eventId: rec.stored.eventId,
    globalPosition: rec.stored.globalPosition,
    envelope: { meta: rec.meta, payload: rec.event },
  };
  if (recordedSeq !== seq) {
    return {
      seq,
      kind: recordedSeq > seq ? "MISSING_OUTPUT" : "UNEXPECTED_OUTPUT",
      detail: `expected seq ${seq} next in the log, found seq ${recordedSeq}`,
      input,
      recorded: recordedRef,
      reexecuted: out,
    };
  }
  const payloadDiff = firstDifference(rec.event, out.payload);
  if (payloadDiff !== null) {
    return {
      seq,
      kind: "PAYLOAD",
      detail: payloadDiff,
      input,
      recorded: recordedRef,
      reexecuted: out,
    };
  }
  // The writer epoch is the only field that legitimately differs from a re-run (it counts
  // matcher generations); it must never go backwards.
  const epoch = Number(rec.meta.writerEpoch ?? 0);
  if (epoch < lastEpoch) {
    return {
      seq,
      kind: "EPOCH_REGRESSION",
      detail: `writer epoch ${epoch} after ${lastEpoch}`,
      input,
      recorded: recordedRef,
      reexecuted: out,
    };
  }
  const metaDiff = firstDifference(
    { ...rec.meta, writerEpoch: null },
    { ...out.meta, writerEpoch: null },
  );
  if (metaDiff !== null || rec.stored.eventId !== out.meta.eventId) {
    return {
      seq,
      kind: "META",
      detail: metaDiff ?? `stored event id ${rec.stored.eventId} != ${out.meta.eventId}`,
      input,
      recorded: recordedRef,
      reexecuted: out,
    };
  }
  return null;
}

/** The first top-level field whose canonical form differs, or null when equal. */
export function firstDifference(recorded: object, expected: object): string | null {
  if (canonicalBytes(recorded).equals(canonicalBytes(expected))) return null;
  const r = recorded as Record<string, unknown>;
  const x = expected as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(r), ...Object.keys(x)])].sort();
  for (const k of keys) {
    const a = canonicalBytes(r[k] ?? null).toString();
    const b = canonicalBytes(x[k] ?? null).toString();
    if (a !== b) return `${k}: recorded ${a}, re-executed ${b}`;
  }
  return "canonical forms differ";
}
