import {
  createMatchingEngine,
  type InstrumentCatalog,
  type MatcherInput,
  type MatcherOutput,
  type MatchingEngine,
  pairSeq,
  restoreMatchingEngine,
  type Symbol,
} from "@fxcore/domain";
import type { Envelope, EnvelopeMeta } from "@fxcore/schemas";
import { outputEventId } from "./output-event-id.ts";

export { outputEventId };

// The deterministic heart of one input partition: one engine per pair, and the
// envelope of every output derived only from the input (no clock, no random
// ids), so a replay of the same inputs yields byte-identical output records.

/**
 * What one input record does. `skip`: a command-side event the matcher has
 * nothing to do with. `duplicate`: an input event id seen recently (the outbox
 * relay republishes after a crash), dropped without a trace in the books.
 */
export type InputOutcome =
  | { readonly kind: "outputs"; readonly symbol: Symbol; readonly outputs: readonly Envelope[] }
  | { readonly kind: "skip" }
  | { readonly kind: "duplicate" }
  | { readonly kind: "poison"; readonly reason: string };

/**
 * Input event ids remembered per partition to drop republished inputs. A relay
 * republishes at most its last unacknowledged send (hundreds of records), so
 * this window is far wider than any real duplicate distance. Part of the state:
 * it travels in snapshots, so dropping stays deterministic across recoveries.
 */
export const DEDUPE_WINDOW = 8_192;

/** Payload types the engine takes as input. */
export const MATCHER_INPUT_TYPES: ReadonlySet<string> = new Set<string>([
  "OrderAccepted",
  "OrderCancelRequested",
  "OrderReplaceRequested",
  "TimeAdvanced",
]);
/** Payload types the engine emits (MatcherOutput). */
export const MATCHER_OUTPUT_TYPES: readonly MatcherOutput["type"][] = [
  "TradeExecuted",
  "OrderCancelled",
  "OrderExpired",
  "OrderReplaced",
  "OrderRejected",
  "CancelRejected",
  "ReplaceRejected",
];
/** Written to fx.orders by the command side for the record; not for the matcher. */
export const COMMAND_SIDE_OUTCOMES: ReadonlySet<string> = new Set<string>([
  "OrderRejected",
  "CancelRejected",
  "ReplaceRejected",
]);

export interface PartitionMatcherOptions {
  readonly catalog: InstrumentCatalog;
  /** Generation of this writer; stamped on every output (fences stale writers downstream). */
  readonly writerEpoch: number;
  /** Pairs this region is home for; the others are applied in standby (state only, no outputs). Undefined: all. */
  readonly homePairs?: ReadonlySet<string> | undefined;
}

export class PartitionMatcher {
  private readonly engines = new Map<string, MatchingEngine>();
  private readonly options: PartitionMatcherOptions;
  private readonly seen = new Set<string>();
  /** Ring of the ids in `seen`, oldest at `ringAt`. */
  private readonly ring: string[] = [];
  private ringAt = 0;

  constructor(options: PartitionMatcherOptions) {
    this.options = options;
  }

  /** Applies one decoded input. Outputs are empty for standby pairs, whose state still advances. */
  apply(input: Envelope): InputOutcome {
    const payload = input.payload;
    if (COMMAND_SIDE_OUTCOMES.has(payload.type)) return { kind: "skip" };
    if (!MATCHER_INPUT_TYPES.has(payload.type)) {
      return { kind: "poison", reason: `not a matcher input: ${payload.type}` };
    }
    const cmd = payload as MatcherInput;
    const invalid = validateInput(cmd);
    if (invalid !== undefined) return { kind: "poison", reason: invalid };
    const engine = this.engineFor(cmd.symbol);
    if (engine === undefined) return { kind: "poison", reason: `unknown symbol ${cmd.symbol}` };
    if (this.seen.has(input.meta.eventId)) return { kind: "duplicate" };
    this.remember(input.meta.eventId);
    const events = engine.apply(cmd);
    const home = this.options.homePairs?.has(cmd.symbol) ?? true;
    if (!home) return { kind: "outputs", symbol: cmd.symbol, outputs: [] };
    return {
      kind: "outputs",
      symbol: cmd.symbol,
      outputs: events.map((e) => this.envelopeFor(e, input.meta)),
    };
  }

  /** Engines in symbol order (deterministic snapshot layout). */
  books(): Array<{ symbol: string; engine: MatchingEngine }> {
    return [...this.engines.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([symbol, engine]) => ({ symbol, engine }));
  }

  /** Input ids in the dedupe window, oldest first (for snapshots). */
  recentInputIds(): string[] {
    return [...this.ring.slice(this.ringAt), ...this.ring.slice(0, this.ringAt)];
  }

  /** Replaces the books (and the dedupe window) with restored ones. */
  restore(
    books: ReadonlyArray<{ symbol: string; bytes: Uint8Array }>,
    recentInputIds: readonly string[] = [],
  ): string | undefined {
    this.engines.clear();
    this.seen.clear();
    this.ring.length = 0;
    this.ringAt = 0;
    for (const id of recentInputIds) this.remember(id);
    for (const { symbol, bytes } of books) {
      const instrument = this.options.catalog.get(symbol as Symbol);
      if (instrument === undefined) return `snapshot names unknown symbol ${symbol}`;
      const restored = restoreMatchingEngine(instrument, bytes);
      if (!restored.ok)
        return `snapshot of ${symbol} unreadable: ${JSON.stringify(restored.error)}`;
      this.engines.set(symbol, restored.value);
    }
    return undefined;
  }

  private remember(id: string): void {
    if (this.ring.length < DEDUPE_WINDOW) {
      this.ring.push(id);
    } else {
      this.seen.delete(this.ring[this.ringAt]!);
      this.ring[this.ringAt] = id;
      this.ringAt = (this.ringAt + 1) % DEDUPE_WINDOW;
    }
    this.seen.add(id);
  }

  private engineFor(symbol: string): MatchingEngine | undefined {
    let engine = this.engines.get(symbol);
    if (engine === undefined) {
      const instrument = this.options.catalog.get(symbol as Symbol);
      if (instrument === undefined) return undefined;
      engine = createMatchingEngine(instrument);
      this.engines.set(symbol, engine);
    }
    return engine;
  }

  private envelopeFor(event: MatcherOutput, cause: EnvelopeMeta): Envelope {
    const seq = event.seq ?? pairSeq(0);
    return {
      meta: {
        eventId: outputEventId(event.symbol, seq),
        // The input's time, not a clock: outputs must replay byte for byte.
        occurredAt: cause.occurredAt,
        correlationId: cause.correlationId,
        causationId: cause.eventId,
        traceparent: cause.traceparent,
        tracestate: cause.tracestate,
        pairSeq: seq,
        writerEpoch: this.options.writerEpoch,
      },
      payload: event,
    };
  }
}

const isPositiveSafeInt = (n: unknown): boolean =>
  typeof n === "number" && Number.isSafeInteger(n) && n > 0;

/** Checks the engine relies on: a record that passes the schema but not these is poison. */
function validateInput(cmd: MatcherInput): string | undefined {
  if (typeof cmd.symbol !== "string" || cmd.symbol.length === 0) return "empty symbol";
  switch (cmd.type) {
    case "OrderAccepted":
      if (!isPositiveSafeInt(cmd.qty)) return `OrderAccepted ${cmd.orderId}: bad qty ${cmd.qty}`;
      if (cmd.ordType === "LIMIT" && !isPositiveSafeInt(cmd.price)) {
        return `OrderAccepted ${cmd.orderId}: LIMIT needs a positive integer price`;
      }
      if (cmd.ordType === "MARKET" && cmd.price !== null) {
        return `OrderAccepted ${cmd.orderId}: MARKET carries a price`;
      }
      if (cmd.minQty !== null && !isPositiveSafeInt(cmd.minQty)) {
        return `OrderAccepted ${cmd.orderId}: bad minQty`;
      }
      return undefined;
    case "OrderReplaceRequested":
      if (!isPositiveSafeInt(cmd.qty)) return `OrderReplaceRequested ${cmd.orderId}: bad qty`;
      if (cmd.price !== null && !isPositiveSafeInt(cmd.price)) {
        return `OrderReplaceRequested ${cmd.orderId}: bad price`;
      }
      return undefined;
    default:
      return undefined;
  }
}
