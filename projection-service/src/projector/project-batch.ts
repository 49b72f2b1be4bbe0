// One consumed batch → one Postgres transaction: read-model changes, the
// event-store sink, the processed-event set, the consumed offset and the
// audit records all commit together or not at all (exactly-once effect).
import type { AppendItem, PostgresEventStore } from "@fxcore/event-store";
import { streamId, eventId as toEventId } from "@fxcore/event-store";
import type { PgPool } from "@fxcore/infra";
import { withTransaction } from "@fxcore/infra";
import { appendAudit } from "../audit/audit-store.ts";
import { canonicalBytes } from "../audit/chain.ts";
import { type EventEnvelope, isMatcherOutput, pairOf } from "../models/envelope.ts";
import { MemoryReadModels } from "../models/memory.ts";
import type { PairLookup } from "../models/project.ts";
import { flushPending, loadWorkingSet } from "./pg-read-models.ts";

/** A decoded record: the envelope plus, for the event-store sink, the bytes as they were on the topic. */
export interface DecodedEvent {
  readonly envelope: EventEnvelope;
  readonly raw: {
    readonly value: Buffer;
    readonly schemaId: number;
    readonly schemaVersion: number;
  } | null;
}

export interface BatchInput {
  /** Where the batch came from; its next offset is stored with the changes. null: not from Kafka (rebuild). */
  readonly source: {
    readonly topic: string;
    readonly partition: number;
    readonly nextOffset: bigint;
  } | null;
  readonly events: readonly DecodedEvent[];
}

export interface ProjectorOptions {
  /** Read-model version schema written to (rm_v1 …). */
  readonly schema: string;
  readonly pairs: PairLookup;
  /** When set, matcher outputs are appended to it in the same transaction (same database). */
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

export async function projectBatch(
  pool: PgPool,
  opts: ProjectorOptions,
  batch: BatchInput,
): Promise<BatchResult> {
  return withTransaction(pool, async (tx) => {
    const ids = batch.events.map((d) => d.envelope.eventId);
    const { rows: done } = ids.length
      ? await tx.query<{ event_id: string }>(
          `SELECT event_id FROM ${opts.schema}.processed_events WHERE event_id = ANY($1)`,
          [ids],
        )
      : { rows: [] };
    const already = new Set(done.map((r) => r.event_id));
    const fresh: DecodedEvent[] = [];
    for (const d of batch.events) {
      if (already.has(d.envelope.eventId)) continue;
      already.add(d.envelope.eventId);
      fresh.push(d);
    }

    const m = new MemoryReadModels(opts.pairs);
    m.seed(
      await loadWorkingSet(
        tx,
        opts.schema,
        fresh.map((d) => d.envelope),
      ),
    );
    for (const d of fresh) {
      const r = m.apply(d.envelope);
      if (!r.ok) opts.onProblem?.(d.envelope.eventId, `${r.error.type} ${r.error.symbol}`);
    }
    const pending = m.drain();
    await flushPending(tx, opts.schema, pending);

    if (opts.eventStore) await sinkMatcherOutputs(opts.eventStore, tx, fresh, opts.onProblem);

    if (fresh.length) {
      await tx.query(
        `INSERT INTO ${opts.schema}.processed_events (event_id, position) SELECT * FROM unnest($1::text[], $2::bigint[])`,
        [
          fresh.map((d) => d.envelope.eventId),
          fresh.map((d) => d.envelope.position?.toString() ?? null),
        ],
      );
    }
    if (batch.source) {
      await tx.query(
        `INSERT INTO ${opts.schema}.consumer_offsets (topic, partition, next_offset) VALUES ($1, $2, $3)
         ON CONFLICT (topic, partition) DO UPDATE SET next_offset = EXCLUDED.next_offset, updated_at = now()`,
        [batch.source.topic, batch.source.partition, batch.source.nextOffset.toString()],
      );
    }
    const accounts = [...new Set(pending.reports.map((r) => r.account))];
    const symbols = [
      ...new Set([...pending.trades.map((t) => t.symbol), ...pending.depth.map((d) => d.symbol)]),
    ];
    if (accounts.length || symbols.length) {
      const payload = JSON.stringify({ schema: opts.schema, accounts, symbols });
      // NOTIFY payloads are capped at 8000 bytes: beyond that, listeners refresh everything.
      await tx.query("SELECT pg_notify($1, $2)", [
        NOTIFY_CHANNEL,
        payload.length < 7900 ? payload : JSON.stringify({ schema: opts.schema, all: true }),
      ]);
    }
    // Last: switches the transaction to the append-only role.
    if (opts.audit) {
      await appendAudit(
        tx,
        fresh.map((d) => ({
          pair: pairOf(d.envelope.event),
          eventId: d.envelope.eventId,
          eventType: d.envelope.event.type,
          canonical: canonicalBytes({ eventId: d.envelope.eventId, event: d.envelope.event }),
        })),
      );
    }
    return {
      applied: fresh.length,
      duplicates: batch.events.length - fresh.length,
      eventIds: fresh.map((d) => d.envelope.eventId),
      accounts,
      symbols,
    };
  });
}

async function sinkMatcherOutputs(
  store: PostgresEventStore,
  tx: Parameters<Parameters<typeof withTransaction>[1]>[0],
  events: readonly DecodedEvent[],
  onProblem: ProjectorOptions["onProblem"],
): Promise<void> {
  const outs = events
    .filter((d) => d.raw !== null && isMatcherOutput(d.envelope.event))
    .map((d) => ({
      d,
      symbol: pairOf(d.envelope.event),
      seq: (d.envelope.event as { seq: number }).seq,
    }))
    .sort((a, b) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : a.seq - b.seq));
  const items: AppendItem[] = [];
  const firstSeqs: number[] = [];
  for (let i = 0; i < outs.length; ) {
    let j = i + 1;
    while (
      j < outs.length &&
      outs[j]?.symbol === outs[i]?.symbol &&
      outs[j]?.seq === (outs[j - 1]?.seq ?? 0) + 1
    )
      j++;
    const run = outs.slice(i, j);
    const first = run[0]!;
    firstSeqs.push(first.seq);
    items.push({
      stream: executionStream(first.symbol),
      expected: first.seq === 1 ? "no-stream" : BigInt(first.seq - 2),
      events: run.map(({ d }) => ({
        eventId: toEventId(d.envelope.eventId),
        type: d.envelope.event.type,
        schemaId: d.raw!.schemaId,
        schemaVersion: d.raw!.schemaVersion,
        payload: d.raw!.value,
        metadata: { pairSeq: (d.envelope.event as { seq: number }).seq },
      })),
    });
    i = j;
  }
  if (items.length === 0) return;
  const results = await store.appendBatch(items, { via: tx });
  const retries: AppendItem[] = [];
  results.forEach((r, i) => {
    if (r.ok) return;
    const item = items[i]!;
    const wanted = BigInt(firstSeqs[i]! - 1);
    const last = wanted + BigInt(item.events.length) - 1n;
    if (r.error.actual < wanted) {
      onProblem?.(
        item.events[0]!.eventId,
        `event-store gap in ${item.stream}: at revision ${r.error.actual}, batch starts at ${wanted}`,
      );
    } else if (r.error.actual < last) {
      // Partly there already (an earlier run got further): append the rest.
      retries.push({
        ...item,
        expected: r.error.actual,
        events: item.events.slice(Number(r.error.actual - wanted) + 1),
      });
    }
  });
  if (retries.length) await store.appendBatch(retries, { via: tx });
}
