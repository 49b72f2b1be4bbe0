// One consumed batch → one Postgres transaction: read-model changes, the
// event-store sink, the processed-event set, the consumed offset and the
// audit records all commit together or not at all (exactly-once effect).
import type { PostgresEventStore } from "@fxcore/event-store";
import { streamId, textColumn, textColumnSql } from "@fxcore/event-store";
import type { PgClient, PgPool } from "@fxcore/infra";
import { withTransaction } from "@fxcore/infra";
import type { DomainEvent } from "@fxcore/domain";
import { type AuditJob, type AuditJobResult, runAuditJob } from "../audit/audit-records.ts";
import { auditStatements, chainedRead, chainHeadsFor, headsRead } from "../audit/audit-store.ts";
import type { ChainHead } from "../audit/chain.ts";
import { type EventEnvelope, isMatcherOutput, pairOf } from "../models/envelope.ts";
import { MemoryReadModels, type Pending } from "../models/memory.ts";
import type { OrderView } from "../models/orders.ts";
import type { PositionView } from "../models/positions.ts";
import type { PairLookup } from "../models/project.ts";
import { TextCopyRows } from "./copy-rows.ts";
import {
  sinkHeadsRead,
  planSink,
  SINK_COLUMNS,
  SINK_TABLE,
  type SinkCandidate,
  sinkCopyRows,
} from "./event-store-sink.ts";
import {
  copyStatement,
  type Read,
  readTogether,
  type Statement,
  sendStatements,
  transactionInOneRoundTrip,
  preparedStatement,
  withLiterals,
} from "./one-round-trip.ts";
import { encodePending, type Queryable, workingSetOf, workingSetReads } from "./pg-read-models.ts";

/** A decoded record: the envelope plus, for the event-store sink, the bytes as they were on the topic. */
export interface DecodedEvent {
  readonly envelope: EventEnvelope;
  readonly raw: {
    readonly value: Buffer;
    readonly schemaId: number;
    readonly schemaVersion: number;
  } | null;
}

export interface BatchSource {
  readonly topic: string;
  readonly partition: number;
  readonly nextOffset: bigint;
}

export interface BatchInput {
  /**
   * Where the batch came from: each partition's next offset is stored with
   * the changes. Events of several partitions may share one batch (each
   * partition's events in its order). null: not from Kafka (rebuild).
   */
  readonly source: BatchSource | readonly BatchSource[] | null;
  readonly events: readonly DecodedEvent[];
}

export interface ProjectorOptions {
  /** Read-model version schema written to (rm_v1 …). */
  readonly schema: string;
  readonly pairs: PairLookup;
  /**
   * When set, matcher outputs are appended to its table in the same
   * transaction (same database; by COPY, ADR 078).
   */
  readonly eventStore?: PostgresEventStore;
  /** Audit trail on (the live projection) or off (a rebuild). */
  readonly audit: boolean;
  /** Called for events whose changes could not be projected (they are still marked processed). */
  readonly onProblem?: (eventId: string, problem: string) => void;
}

export interface BatchResult {
  readonly applied: number;
  readonly duplicates: number;
  /** Ids of the events this batch applied (duplicates excluded). */
  readonly eventIds: readonly string[];
  readonly accounts: readonly string[];
  readonly symbols: readonly string[];
}

/** Stream of a pair's matcher outputs in the event store; revision = seq − 1 makes (pair, seq) unique. */
export const executionStream = (symbol: string) => streamId(`executions-${symbol}`);

export const NOTIFY_CHANNEL = "fx_read_models";

/**
 * What a prepared but possibly uncommitted batch changes: the next batch is
 * prepared on top of it (the table does not show it yet). Single writer: rows
 * no batch in flight touches are current in the table.
 */
export interface InFlight {
  readonly eventIds: ReadonlySet<string>;
  readonly orders: ReadonlyMap<string, OrderView>;
  readonly accountSeqs: ReadonlyMap<string, number>;
  readonly positions: ReadonlyMap<string, PositionView>;
  /** Every chain head this projector has produced so far (not only this batch's). */
  readonly auditHeads: ReadonlyMap<string, ChainHead>;
  /** Last event-store revision of each pair's executions stream this projector has seen or written. */
  readonly sinkHeads: ReadonlyMap<string, number>;
}

/** A batch projected in memory, ready to be written in one transaction. */
export interface PreparedBatch {
  readonly sources: readonly BatchSource[];
  readonly fresh: readonly DecodedEvent[];
  readonly pending: Pending;
  /** Orders that exist in the table once the batches before this one commit. */
  readonly existingOrders: ReadonlySet<string>;
  /** Audit records the batch appends. */
  readonly auditRecords: number;
  /**
   * The batch's statements, encoded while the batch before it commits (ADR
   * 077): read models, the event-store sink, then processed events,
   * offsets and the notification; the audit COPY last.
   */
  readonly writes: {
    readonly readModels: readonly Statement[];
    readonly sink: readonly Statement[];
    readonly bookkeeping: readonly Statement[];
  };
  /** The audit COPY (binary), encoded with the rest. */
  readonly auditRows: Buffer;
  readonly result: BatchResult;
  readonly inFlight: InFlight;
}

/** Projects and writes one batch in one transaction (reads and writes in it). */
export async function projectBatch(
  pool: PgPool,
  opts: ProjectorOptions,
  batch: BatchInput,
): Promise<BatchResult> {
  return withTransaction(pool, async (tx) => {
    const prepared = await prepareBatch(tx, opts, batch);
    await writeBatch(tx, prepared);
    return prepared.result;
  });
}

/**
 * Reads what a batch needs (processed-event set, touched rows, audit heads),
 * overlaid with `inFlight`, the batch before it that may not have committed,
 * and projects it in memory. Writes nothing.
 */
export async function prepareBatch(
  db: Queryable,
  opts: ProjectorOptions,
  batch: BatchInput,
  inFlight?: InFlight,
): Promise<PreparedBatch> {
  // Everything the batch reads, in one round trip (ADR 110), for all its
  // events: duplicates (after a resync) are few and their rows harmless.
  const ids = batch.events.map((d) => d.envelope.eventId);
  const pairs = new Set<string>();
  const sinkPairs = new Set<string>();
  for (const d of batch.events) {
    const e = d.envelope.event;
    pairs.add(pairOf(e));
    if (d.raw !== null && isMatcherOutput(e)) sinkPairs.add(pairOf(e));
  }
  const [done, chained, auditHeadsRead, orders, accountSeqs, positions, sinkHeadsLoaded] =
    await readTogether(db, [
      processedRead(opts.schema, ids),
      chainedRead(opts.audit ? ids : []),
      headsRead(opts.audit ? [...pairs].filter((p) => !inFlight?.auditHeads.has(p)) : []),
      ...workingSetReads(
        opts.schema,
        batch.events.map((d) => d.envelope),
        inFlight,
      ),
      sinkHeadsRead(
        opts.eventStore ? [...sinkPairs].filter((p) => !inFlight?.sinkHeads.has(p)) : [],
      ),
    ] as const);
  const already = done;
  const fresh: DecodedEvent[] = [];
  for (const d of batch.events) {
    const id = d.envelope.eventId;
    if (already.has(id) || inFlight?.eventIds.has(id)) continue;
    already.add(id);
    fresh.push(d);
  }

  const m = new MemoryReadModels(opts.pairs, { workingSet: true });
  const rows = workingSetOf([orders, accountSeqs, positions]);
  m.seed(rows);
  if (inFlight)
    m.seed({
      orders: inFlight.orders.values(),
      accountSeqs: inFlight.accountSeqs,
      positions: inFlight.positions.values(),
    });
  for (const d of fresh) {
    const r = m.apply(d.envelope);
    if (!r.ok) opts.onProblem?.(d.envelope.eventId, `${r.error.type} ${r.error.symbol}`);
  }
  const pending = m.drain();
  const existingOrders = new Set(rows.orders.map((o) => o.orderId));
  if (inFlight) for (const id of inFlight.orders.keys()) existingOrders.add(id);

  const sink = opts.eventStore
    ? prepareSink(fresh, inFlight?.sinkHeads, sinkHeadsLoaded, opts.onProblem)
    : { writes: [], heads: new Map(inFlight?.sinkHeads) };

  const accounts = [...new Set(pending.reports.map((r) => r.account))];
  const symbols = [
    ...new Set([...pending.trades.map((t) => t.symbol), ...pending.depth.map((d) => d.symbol)]),
  ];
  const eventIds = fresh.map((d) => d.envelope.eventId);
  const sources =
    batch.source === null ? [] : "topic" in batch.source ? [batch.source] : batch.source;
  const readModels = encodePending(opts.schema, pending, existingOrders);
  const bookkeeping = bookkeepingWrites(opts.schema, fresh, sources, accounts, symbols);
  // On this thread (ADR 124): canonical bytes, SHA-256 chain, COPY stream.
  const job = opts.audit
    ? auditJobOf(fresh, chained, inFlight?.auditHeads, auditHeadsRead)
    : undefined;
  const audit = job ? runAuditJob(job) : noAudit;
  const auditHeads = new Map(inFlight?.auditHeads);
  for (const h of audit.heads) auditHeads.set(h.pair, h);
  return {
    sources,
    fresh,
    pending,
    existingOrders,
    auditRecords: audit.records,
    writes: { readModels, sink: sink.writes, bookkeeping },
    auditRows: audit.rows,
    result: {
      applied: fresh.length,
      duplicates: batch.events.length - fresh.length,
      eventIds,
      accounts,
      symbols,
    },
    inFlight: {
      eventIds: new Set(eventIds),
      orders: pending.orders,
      accountSeqs: pending.accountSeqs,
      positions: pending.positions,
      auditHeads,
      sinkHeads: sink.heads,
    },
  };
}

const noAudit: AuditJobResult = { rows: Buffer.alloc(0), records: 0, heads: [] };

/** Which of `ids` this read-model version has processed. */
const processedRead = (schema: string, ids: readonly string[]): Read<Set<string>> => ({
  sql: ids.length
    ? withLiterals(
        `SELECT event_id FROM ${schema}.processed_events WHERE event_id = ANY(${textColumnSql("$1")})`,
        [textColumn(ids)],
      )
    : null,
  parse: (rows) => new Set(rows.map((r) => r.event_id as string)),
});

/** The batch's events not chained yet and the heads they continue from; undefined: none. */
const auditJobOf = (
  fresh: readonly DecodedEvent[],
  chained: ReadonlySet<string>,
  known: ReadonlyMap<string, ChainHead> | undefined,
  loaded: ReadonlyMap<string, ChainHead>,
): AuditJob | undefined => {
  const events: { eventId: string; event: DomainEvent }[] = [];
  const candidates: { pair: string; eventId: string }[] = [];
  for (const d of fresh)
    if (!chained.has(d.envelope.eventId)) {
      events.push({ eventId: d.envelope.eventId, event: d.envelope.event });
      candidates.push({ pair: pairOf(d.envelope.event), eventId: d.envelope.eventId });
    }
  if (events.length === 0) return undefined;
  return { heads: [...chainHeadsFor(candidates, chained, known, loaded).values()], events };
};

/** The sink's COPY for a batch's matcher outputs, on top of the heads known so far (else as read). */
const prepareSink = (
  fresh: readonly DecodedEvent[],
  known: ReadonlyMap<string, number> | undefined,
  loaded: ReadonlyMap<string, number>,
  onProblem: ProjectorOptions["onProblem"],
): { writes: Statement[]; heads: Map<string, number> } => {
  const candidates: SinkCandidate[] = [];
  for (const d of fresh) {
    const e = d.envelope.event;
    if (d.raw === null || !isMatcherOutput(e)) continue;
    candidates.push({
      symbol: pairOf(e),
      seq: e.seq,
      eventId: d.envelope.eventId,
      type: e.type,
      schemaId: d.raw.schemaId,
      schemaVersion: d.raw.schemaVersion,
      payload: d.raw.value,
    });
  }
  const heads = new Map(loaded);
  if (known) for (const [s, v] of known) heads.set(s, v);
  const plan = planSink(candidates, heads);
  for (const p of plan.problems) onProblem?.(p.eventId, p.problem);
  return {
    writes: plan.rows.length
      ? [copyStatement(SINK_TABLE, SINK_COLUMNS, sinkCopyRows(plan.rows), true)]
      : [],
    heads: plan.heads,
  };
};

/** Processed events, consumed offsets and the change notification of a batch. */
const bookkeepingWrites = (
  schema: string,
  fresh: readonly DecodedEvent[],
  sources: readonly BatchSource[],
  accounts: readonly string[],
  symbols: readonly string[],
): Statement[] => {
  const writes: Statement[] = [];
  if (fresh.length) {
    const processed = new TextCopyRows();
    for (const d of fresh) processed.str(d.envelope.eventId).num(d.envelope.position).end();
    writes.push(
      copyStatement(`${schema}.processed_events`, ["event_id", "position"], processed.finish()),
    );
  }
  if (sources.length) {
    writes.push(
      preparedStatement(
        `INSERT INTO ${schema}.consumer_offsets (topic, partition, next_offset)
       SELECT * FROM unnest($1::text[], $2::int[], $3::bigint[])
       ON CONFLICT (topic, partition) DO UPDATE SET next_offset = EXCLUDED.next_offset, updated_at = now()`,
        [
          sources.map((x) => x.topic),
          sources.map((x) => x.partition),
          sources.map((x) => x.nextOffset.toString()),
        ],
      ),
    );
  }
  if (accounts.length || symbols.length) {
    const payload = JSON.stringify({ schema, accounts, symbols });
    // NOTIFY payloads are capped at 8000 bytes: beyond that, listeners refresh everything.
    writes.push(
      preparedStatement("SELECT pg_notify($1, $2)", [
        NOTIFY_CHANNEL,
        payload.length < 7900 ? payload : JSON.stringify({ schema, all: true }),
      ]),
    );
  }
  return writes;
};

/** A prepared batch's statements in order; the audit COPY last (it switches the role). */
const batchStatements = (b: PreparedBatch): Statement[] => [
  ...b.writes.readModels,
  ...b.writes.sink,
  ...b.writes.bookkeeping,
  ...auditStatements(b.auditRows),
];

/**
 * Writes a prepared batch in the caller's transaction; the caller commits.
 * Its statements were encoded in prepareBatch: here they go out in one round
 * trip (ADR 110).
 */
export async function writeBatch(tx: PgClient, b: PreparedBatch): Promise<void> {
  await sendStatements(tx, batchStatements(b));
}

/**
 * Writes a prepared batch as one transaction (BEGIN, its statements, COMMIT)
 * in one round trip on a client of `pool` (ADR 110).
 */
export function commitBatch(pool: PgPool, b: PreparedBatch): Promise<void> {
  return transactionInOneRoundTrip(pool, batchStatements(b));
}
