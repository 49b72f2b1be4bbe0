// Every event of one order, in the order it happened, with the
// ExecutionReport (or OrderCancelReject) each one sent: the command-side
// events of the order's stream, and the matcher outputs that name the order
// (as maker or taker of a trade, or as the subject of a cancel, replace,
// expiry or reject), each placed right after the input that caused it.
import {
  type DomainEvent,
  evolve,
  executionReport,
  type FixReport,
  initialOrderState,
  ordersInvolved,
  type OrderState,
} from "@fxcore/domain";
import type { EnvelopeMeta } from "@fxcore/schemas";
import type { DecodedEvent, EventDecoder } from "../log/decoder.ts";
import {
  executionStreamOf,
  orderStreamOf,
  positionsOf,
  type StoredEvent,
  streamEvents,
  streamOfClOrdId,
} from "../log/event-log.ts";
import type { ReadSession } from "../log/read-session.ts";
import { type ReplayResult, replayError } from "../log/replay-error.ts";

export type LifecycleQuery =
  | { readonly orderId: string }
  | { readonly account: string; readonly clOrdId: string };

export interface LifecycleEntry {
  /** "command": written by command-service; "matcher": a matcher output recorded by the sink. */
  readonly source: "command" | "matcher";
  readonly eventId: string;
  readonly eventType: string;
  readonly streamId: string;
  readonly streamVersion: bigint;
  readonly globalPosition: bigint;
  /** The pair's sequence number (matcher outputs). */
  readonly pairSeq: number | null;
  readonly transactTime: bigint;
  readonly occurredAt: bigint;
  readonly recordedAt: Date;
  readonly meta: EnvelopeMeta;
  readonly event: DomainEvent;
  /** The message the order's owner was sent for this event (null: none, e.g. a pending request). */
  readonly report: FixReport | null;
  /** Set when the event breaks the FIX order state machine (it should never be). */
  readonly violation: string | null;
}

export interface Lifecycle {
  readonly orderId: string | null;
  readonly account: string | null;
  readonly symbol: string | null;
  /** ClOrdIDs the order went by, following OrigClOrdID through accepted replaces. */
  readonly clOrdIds: readonly string[];
  /** OrdStatus after the last event (FIX tag 39), null when never accepted. */
  readonly ordStatus: string | null;
  readonly entries: readonly LifecycleEntry[];
}

export async function lifecycle(
  s: ReadSession,
  query: LifecycleQuery,
  decode: EventDecoder,
): Promise<ReplayResult<Lifecycle>> {
  let stream: string | undefined;
  if ("orderId" in query) {
    if (query.orderId.trim() === "") return replayError("BAD_ARGUMENT", "order id is empty");
    stream = orderStreamOf(query.orderId);
  } else {
    if (query.account.trim() === "" || query.clOrdId.trim() === "")
      return replayError("BAD_ARGUMENT", "account and ClOrdID must both be given");
    stream = await streamOfClOrdId(s, query.account, query.clOrdId);
    if (stream === undefined)
      return replayError(
        "NOT_FOUND",
        `no order of account ${query.account} with ClOrdID ${query.clOrdId}`,
      );
  }
  const own = await streamEvents(s, stream);
  if (own.length === 0) {
    return replayError("NOT_FOUND", `unknown order ${"orderId" in query ? query.orderId : stream}`);
  }
  const commandSide = await Promise.all(own.map(decode));
  const first = commandSide[0]!.event;
  const orderId = stream.startsWith("order-") ? stream.slice("order-".length) : null;
  const symbol = "symbol" in first ? first.symbol : null;

  const outputs: DecodedEvent[] = [];
  if (orderId !== null && symbol !== null) {
    // Avro strings are plain UTF-8 in the payload: a byte search narrows the pair's
    // outputs to candidates; decoding then keeps only those that really name the order.
    const rows = await s.query<{
      global_position: string;
      stream_id: string;
      stream_version: string;
      event_id: string;
      event_type: string;
      schema_id: number;
      payload: Buffer;
      recorded_at: Date;
    }>(
      `SELECT global_position, stream_id, stream_version, event_id, event_type, schema_id, payload, recorded_at
       FROM es_events WHERE stream_id = $1 AND global_position > $2
         AND position(convert_to($3, 'UTF8') in payload) > 0
       ORDER BY stream_version`,
      [executionStreamOf(symbol), own[0]!.globalPosition.toString(), orderId],
    );
    for (const r of rows) {
      const stored: StoredEvent = {
        globalPosition: BigInt(r.global_position),
        streamId: r.stream_id,
        streamVersion: BigInt(r.stream_version),
        eventId: r.event_id,
        eventType: r.event_type,
        schemaId: r.schema_id,
        payload: r.payload,
        recordedAt: r.recorded_at,
      };
      const d = await decode(stored);
      if (ordersInvolved(d.event).includes(orderId as never)) outputs.push(d);
    }
  }

  // Place each output right after its cause (an input, maybe another order's) in log order.
  const positions = await positionsOf(s, [
    ...commandSide.map((d) => d.stored.eventId),
    ...outputs.flatMap((d) => (d.meta.causationId === null ? [] : [d.meta.causationId])),
  ]);
  const keyOf = (d: DecodedEvent, source: "command" | "matcher"): [bigint, bigint, number] => {
    const at =
      source === "command"
        ? positions.get(d.stored.eventId)
        : d.meta.causationId === null
          ? undefined
          : positions.get(d.meta.causationId);
    const seq = source === "matcher" ? Number(d.meta.pairSeq ?? 0) : 0;
    return at === undefined
      ? [BigInt(Number.MAX_SAFE_INTEGER), d.stored.globalPosition, seq]
      : [at.transactionId, at.position, seq];
  };
  const tagged = [
    ...commandSide.map((d) => ({ d, source: "command" as const, key: keyOf(d, "command") })),
    ...outputs.map((d) => ({ d, source: "matcher" as const, key: keyOf(d, "matcher") })),
  ].sort((a, b) => cmp(a.key[0], b.key[0]) || cmp(a.key[1], b.key[1]) || a.key[2] - b.key[2]);

  let state: OrderState = initialOrderState;
  const entries: LifecycleEntry[] = [];
  const clOrdIds: string[] = [];
  for (const { d, source } of tagged) {
    const next = evolve(state, d.event);
    let violation: string | null = null;
    if (next.ok) state = next.value;
    else violation = `${next.error.kind}: ${next.error.text}`;
    if (d.event.type === "OrderAccepted") clOrdIds.push(d.event.clOrdId);
    if (d.event.type === "OrderReplaced") clOrdIds.push(d.event.clOrdId);
    entries.push({
      source,
      eventId: d.stored.eventId,
      eventType: d.event.type,
      streamId: d.stored.streamId,
      streamVersion: d.stored.streamVersion,
      globalPosition: d.stored.globalPosition,
      pairSeq: d.meta.pairSeq === null ? null : Number(d.meta.pairSeq),
      transactTime: d.event.transactTime,
      occurredAt: d.meta.occurredAt,
      recordedAt: d.stored.recordedAt,
      meta: d.meta,
      event: d.event,
      report: violation === null ? executionReport(d.event, state) : null,
      violation,
    });
  }
  const account = "account" in first ? first.account : null;
  return {
    ok: true,
    value: { orderId, account, symbol, clOrdIds, ordStatus: state.status, entries },
  };
}

const cmp = (a: bigint, b: bigint): number => (a < b ? -1 : a > b ? 1 : 0);
