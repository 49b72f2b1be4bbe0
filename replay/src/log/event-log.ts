// The event store as replay reads it: straight from its tables (never a read
// model), inside a read session. Where each kind of event lives:
//   - command-side events (the matcher's inputs): stream `order-<OrderID>`
//     (or `request-<account>-<ClOrdID>` for rejects of unknown orders); the
//     order the matcher consumed them in is the outbox order of their pair key
//     (the relay publishes each key's rows in (transaction_id, global_position) order);
//   - matcher outputs: stream `executions-<PAIR>`, revision = seq − 1 (the
//     projection-service sink's layout).
import { OUTBOX_LANES } from "@fxcore/event-store";
import type { ReadSession } from "./read-session.ts";

export interface StoredEvent {
  readonly globalPosition: bigint;
  readonly streamId: string;
  readonly streamVersion: bigint;
  readonly eventId: string;
  readonly eventType: string;
  readonly schemaId: number;
  readonly payload: Buffer;
  readonly recordedAt: Date;
}

interface Row {
  global_position: string;
  stream_id: string;
  stream_version: string;
  event_id: string;
  event_type: string;
  schema_id: number;
  payload: Buffer;
  recorded_at: Date;
}

// Typed so that binary-format results parse cheaply: ids as text, bytea raw, int4, timestamptz.
const COLUMNS =
  "e.global_position::text AS global_position, e.stream_id, e.stream_version::text AS stream_version, e.event_id::text AS event_id, e.event_type, e.schema_id, e.payload, e.recorded_at";

const toStored = (r: Row): StoredEvent => ({
  globalPosition: BigInt(r.global_position),
  streamId: r.stream_id,
  streamVersion: BigInt(r.stream_version),
  eventId: r.event_id,
  eventType: r.event_type,
  schemaId: r.schema_id,
  payload: r.payload,
  recordedAt: r.recorded_at,
});

/** Stream of a pair's matcher outputs (projection-service's event-store sink). */
export const executionStreamOf = (pair: string): string => `executions-${pair}`;
export const orderStreamOf = (orderId: string): string => `order-${orderId}`;

async function* mapBatches(source: AsyncGenerator<Row[]>): AsyncGenerator<readonly StoredEvent[]> {
  for await (const rows of source) yield rows.map(toStored);
}

/**
 * A pair's matcher inputs in the order the matcher consumed them: the outbox
 * rows of the pair's key, below the gap-safe watermark (what the relay could
 * have published by this snapshot).
 */
export function pairInputs(
  s: ReadSession,
  pair: string,
  batchSize?: number,
): AsyncGenerator<readonly StoredEvent[]> {
  return mapBatches(
    s.batches<Row>(
      `SELECT ${COLUMNS} FROM es_outbox o JOIN es_events e ON e.global_position = o.global_position
       WHERE o.lane = (hashtextextended($1, 0) & ${OUTBOX_LANES - 1})::smallint AND o.message_key = $1
         AND o.transaction_id < pg_snapshot_xmin(pg_current_snapshot())
       ORDER BY o.lane, o.transaction_id, o.global_position`,
      [pair],
      batchSize,
      { binary: true },
    ),
  );
}

/** A pair's recorded matcher outputs from `fromSeq` on, in seq order. */
export function pairOutputs(
  s: ReadSession,
  pair: string,
  fromSeq = 1,
  batchSize?: number,
): AsyncGenerator<readonly StoredEvent[]> {
  return mapBatches(
    s.batches<Row>(
      `SELECT ${COLUMNS} FROM es_events e WHERE e.stream_id = $1 AND e.stream_version >= $2
       ORDER BY e.stream_version`,
      [executionStreamOf(pair), fromSeq - 1],
      batchSize,
      { binary: true },
    ),
  );
}

/** A pair's outputs recorded after a global position (an order's outputs follow its acceptance). */
export function pairOutputsAfter(
  s: ReadSession,
  pair: string,
  afterPosition: bigint,
): AsyncGenerator<readonly StoredEvent[]> {
  return mapBatches(
    s.batches<Row>(
      `SELECT ${COLUMNS} FROM es_events e WHERE e.stream_id = $1 AND e.global_position > $2
       ORDER BY e.stream_version`,
      [executionStreamOf(pair), afterPosition.toString()],
    ),
  );
}

export async function streamEvents(s: ReadSession, stream: string): Promise<StoredEvent[]> {
  const rows = await s.query<Row>(
    `SELECT ${COLUMNS} FROM es_events e WHERE e.stream_id = $1 ORDER BY e.stream_version`,
    [stream],
  );
  return rows.map(toStored);
}

/** The stream holding the command-side event an account sent under a ClOrdID (original or a replace's). */
export async function streamOfClOrdId(
  s: ReadSession,
  account: string,
  clOrdId: string,
): Promise<string | undefined> {
  const rows = await s.query<{ stream_id: string }>(
    `SELECT stream_id FROM es_events
     WHERE metadata->>'account' = $1 AND metadata->>'clOrdId' = $2
     ORDER BY global_position LIMIT 1`,
    [account, clOrdId],
  );
  return rows[0]?.stream_id;
}

/** Global positions of events by id (to place outputs right after the input that caused them). */
export async function positionsOf(
  s: ReadSession,
  eventIds: readonly string[],
): Promise<Map<string, { transactionId: bigint; position: bigint }>> {
  if (eventIds.length === 0) return new Map();
  const rows = await s.query<{ event_id: string; transaction_id: string; global_position: string }>(
    "SELECT event_id, transaction_id::text, global_position FROM es_events WHERE event_id = ANY($1::uuid[])",
    [eventIds],
  );
  return new Map(
    rows.map((r) => [
      r.event_id,
      { transactionId: BigInt(r.transaction_id), position: BigInt(r.global_position) },
    ]),
  );
}

/**
 * Every event committed in the session's snapshot, in log order. No watermark
 * here: an export must not leave out committed events because some unrelated
 * transaction in the cluster is still open (the watermark is cluster-wide).
 */
export function logEvents(
  s: ReadSession,
  batchSize?: number,
): AsyncGenerator<readonly StoredEvent[]> {
  return mapBatches(
    s.batches<Row>(
      `SELECT ${COLUMNS} FROM es_events e
       ORDER BY e.transaction_id, e.global_position`,
      [],
      batchSize,
      { binary: true },
    ),
  );
}
