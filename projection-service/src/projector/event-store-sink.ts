// Event-store sink (ADR 073, 078): a pair's matcher outputs go to stream
// executions-<PAIR> at revision seq − 1, by COPY into the event store's table
// inside the batch's transaction. The projection is the streams' only writer,
// so it knows where each stream stands: heads are read once per pair and then
// carried from batch to batch (like the audit chain heads). A stale head cannot
// write twice: unique (stream, revision) and unique event id fail the batch,
// and the resync that follows reads the heads again.
import { BinaryCopyRows } from "./copy-binary.ts";
import { type Read, withLiterals } from "./one-round-trip.ts";

/** One matcher output to sink: its pair, seq and the record as it was on the topic. */
export interface SinkCandidate {
  readonly symbol: string;
  readonly seq: number;
  readonly eventId: string;
  readonly type: string;
  readonly schemaId: number;
  readonly schemaVersion: number;
  readonly payload: Buffer;
}

export const executionStreamName = (symbol: string): string => `executions-${symbol}`;

export const SINK_TABLE = "es_events";
export const SINK_COLUMNS = [
  "stream_id",
  "stream_version",
  "event_id",
  "event_type",
  "schema_id",
  "schema_version",
  "payload",
  "metadata",
] as const;

/** Last revision per pair's stream (−1: no stream yet), read from the event store. */
export const sinkHeadsRead = (symbols: readonly string[]): Read<Map<string, number>> => ({
  // max() per stream through the (stream_id, stream_version) index: one probe each.
  sql: symbols.length
    ? withLiterals(
        `SELECT s.symbol, (SELECT max(e.stream_version) FROM es_events e WHERE e.stream_id = 'executions-' || s.symbol) AS v
     FROM unnest($1::text[]) AS s(symbol)`,
        [symbols],
      )
    : null,
  parse: (rows) =>
    new Map(rows.map((r) => [r.symbol as string, r.v === null ? -1 : Number(r.v as string)])),
});

/** One es_events row the sink appends. */
export interface SinkRow {
  readonly stream: string;
  readonly revision: number;
  readonly candidate: SinkCandidate;
}

export interface SinkPlan {
  /** Rows to append, per pair in revision order. */
  readonly rows: readonly SinkRow[];
  /** Heads after this batch (every pair given in `heads`, changed or not). */
  readonly heads: Map<string, number>;
  readonly problems: readonly { readonly eventId: string; readonly problem: string }[];
}

/**
 * Which outputs to append and their rows (pure). Per pair in seq order: a
 * revision at or below the head is already stored (an earlier run or a
 * rebuilt version got there) and skipped; the next revision is appended; one
 * beyond it is a gap (e.g. a dead-lettered output): reported once per run
 * and not appended, so the stream never gets a hole. `heads` must hold every
 * candidate's pair.
 */
export const planSink = (
  candidates: readonly SinkCandidate[],
  heads: ReadonlyMap<string, number>,
): SinkPlan => {
  const sorted = [...candidates].sort((a, b) =>
    a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : a.seq - b.seq,
  );
  const next = new Map(heads);
  const problems: { eventId: string; problem: string }[] = [];
  const rows: SinkRow[] = [];
  let gapAfter: { symbol: string; seq: number } | undefined;
  for (const c of sorted) {
    const head = next.get(c.symbol);
    if (head === undefined) throw new Error(`no event-store head loaded for ${c.symbol}`);
    const revision = c.seq - 1;
    if (revision <= head) continue;
    if (revision > head + 1) {
      // One report per run of consecutive seqs behind the same hole.
      if (gapAfter?.symbol !== c.symbol || gapAfter.seq !== c.seq - 1)
        problems.push({
          eventId: c.eventId,
          problem: `event-store gap in ${executionStreamName(c.symbol)}: at revision ${head}, batch starts at ${revision}`,
        });
      gapAfter = { symbol: c.symbol, seq: c.seq };
      continue;
    }
    next.set(c.symbol, revision);
    rows.push({ stream: executionStreamName(c.symbol), revision, candidate: c });
  }
  return { rows, heads: next, problems };
};

/** The rows as a COPY binary stream for SINK_COLUMNS: the Avro bytes go in as they are. */
export const sinkCopyRows = (rows: readonly SinkRow[]): Buffer => {
  const out = new BinaryCopyRows();
  for (const { stream, revision, candidate: c } of rows)
    out
      .row(SINK_COLUMNS.length)
      .text(stream)
      .int8(revision)
      .uuid(c.eventId)
      .text(c.type)
      .int4(c.schemaId)
      .int4(c.schemaVersion)
      .bytea(c.payload)
      .jsonb(`{"pairSeq":${c.seq}}`);
  return out.finish();
};
