// What a projection sees of one event: the domain event plus the identity the
// read side deduplicates on and, for command-side events, the event-store
// position a client may wait for (read-your-writes).
import { createHash } from "node:crypto";
import type { DomainEvent, MatcherOutput } from "@fxcore/domain";

export interface EventEnvelope {
  /** Unique forever (UUID); the idempotency key of every sink. */
  readonly eventId: string;
  readonly event: DomainEvent;
  /** Event-store global position when known (command-side events). */
  readonly position: bigint | null;
}

const matcherTypes: ReadonlySet<string> = new Set([
  "TradeExecuted",
  "OrderCancelled",
  "OrderExpired",
  "OrderReplaced",
  "CancelRejected",
  "ReplaceRejected",
]);

/** A matcher output: stamped with the pair's gapless seq. OrderRejected counts only when it carries one. */
export const isMatcherOutput = (e: DomainEvent): e is MatcherOutput & { readonly seq: number } =>
  "seq" in e &&
  typeof e.seq === "number" &&
  (matcherTypes.has(e.type) || e.type === "OrderRejected");

/**
 * The event id of a matcher output, derived from (pair, seq) when the record
 * carries none: a name-based UUID (RFC 9562 v5 layout over SHA-1), so the live
 * consumer, the event-store sink and a rebuild all agree on it.
 */
export const matcherEventId = (symbol: string, seq: number): string => {
  const h = createHash("sha1").update(`fxcore/exec/${symbol}/${seq}`).digest();
  h[6] = ((h[6] ?? 0) & 0x0f) | 0x50;
  h[8] = ((h[8] ?? 0) & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString("hex");
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
};

/** Symbol of the pair (partition key) an event belongs to. */
export const pairOf = (e: DomainEvent): string => ("symbol" in e ? e.symbol : "");
