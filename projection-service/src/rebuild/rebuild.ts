// Rebuild without downtime: fill a new read-model version from the event
// store's global log with the same projector, beside the live version; when
// it has caught up, switch the reader views in one transaction that holds the
// live version's offsets still, and hand the live offsets over (ADR 071).
import type { DomainEvent } from "@fxcore/domain";
import {
  type LogCheckpoint,
  logStart,
  type PostgresEventStore,
  type RecordedEvent,
} from "@fxcore/event-store";
import { type PgPool, withTransaction } from "@fxcore/infra";
import type { Serde } from "@fxcore/schemas";
import { EVENT_TYPES } from "../consumer/decode.ts";
import type { PairLookup } from "../models/project.ts";
import { type DecodedEvent, projectBatch } from "../projector/project-batch.ts";
import { activeSchema } from "../store/active.ts";
import { activateDdl, readModelDdl, versionSchema } from "../store/ddl.ts";

export interface RebuildProgress {
  readonly phase: "replay" | "catch-up" | "switched";
  readonly schema: string;
  readonly applied: number;
  /** Events in the store when the rebuild started (the target of the replay phase). */
  readonly total: number;
}

export interface RebuildOptions {
  readonly pool: PgPool;
  readonly eventStore: PostgresEventStore;
  readonly serde: Serde;
  readonly pairs: PairLookup;
  readonly batchSize?: number;
  /** Switch readers when caught up (default true); false leaves the new version built but inactive. */
  readonly switchWhenCaughtUp?: boolean;
  /** How long the switch waits for events the live version has but the log does not show yet (default 30 s). */
  readonly switchWaitMs?: number;
  readonly onProgress?: (p: RebuildProgress) => void;
}

export interface RebuildResult {
  readonly from: string;
  readonly to: string;
  readonly applied: number;
  readonly switched: boolean;
}

/** Decodes a stored event; null for records that are not domain events (skipped). */
const decodeStored = async (serde: Serde, r: RecordedEvent): Promise<DecodedEvent | null> => {
  const d = await serde.decode(Buffer.from(r.payload));
  if (!d.ok || !EVENT_TYPES.has(d.value.payload.type)) return null;
  return {
    envelope: {
      eventId: r.eventId,
      event: d.value.payload as DomainEvent,
      position: r.globalPosition,
    },
    raw: null,
  };
};

const nextVersion = async (pool: PgPool): Promise<number> => {
  const { rows } = await pool.query<{ v: number | null }>(
    "SELECT max(substring(nspname from '^rm_v([0-9]+)$')::int) AS v FROM pg_namespace WHERE nspname ~ '^rm_v[0-9]+$'",
  );
  return (rows[0]?.v ?? 0) + 1;
};

export async function rebuildReadModels(o: RebuildOptions): Promise<RebuildResult> {
  const batch = o.batchSize ?? 2_000;
  const from = await activeSchema(o.pool);
  const to = versionSchema(await nextVersion(o.pool));
  await o.pool.query(readModelDdl(to));
  const { rows } = await o.pool.query<{ n: string }>("SELECT count(*) AS n FROM es_events");
  const total = Number(rows[0]?.n ?? 0);
  let checkpoint: LogCheckpoint = logStart;
  let applied = 0;
  const opts = { schema: to, pairs: o.pairs, audit: false };

  const drain = async (phase: RebuildProgress["phase"]): Promise<number> => {
    let n = 0;
    for (;;) {
      const page = await o.eventStore.readAll(checkpoint, batch);
      if (page.length === 0) return n;
      const decoded = (await Promise.all(page.map((r) => decodeStored(o.serde, r)))).filter(
        (d) => d !== null,
      );
      const r = await projectBatch(o.pool, opts, { source: null, events: decoded });
      checkpoint = page[page.length - 1]!.checkpoint;
      applied += r.applied;
      n += page.length;
      o.onProgress?.({ phase, schema: to, applied, total });
    }
  };

  await drain("replay");
  // Catch up while the live version moves on, until a pass finds little new.
  for (let i = 0; i < 20 && (await drain("catch-up")) > batch / 10; i++);
  if (o.switchWhenCaughtUp === false) return { from, to, applied, switched: false };

  await withTransaction(o.pool, async (client) => {
    // Holds the live consumer's next commit: its offsets cannot move under us.
    await client.query(`LOCK TABLE ${from}.consumer_offsets IN EXCLUSIVE MODE`);
    // The event store hands out events below the cluster-wide transaction
    // watermark (ADR 051), so an unrelated long transaction can hold back
    // events the live version already has: they are committed, and appear once
    // it ends. Wait for them (bounded) instead of failing the switch.
    const deadline = Date.now() + (o.switchWaitMs ?? 30_000);
    for (;;) {
      await drain("catch-up");
      const { rows: missing } = await client.query<{ n: string }>(
        `SELECT count(*) AS n FROM ${from}.processed_events l
          WHERE NOT EXISTS (SELECT 1 FROM ${to}.processed_events r WHERE r.event_id = l.event_id)`,
      );
      const n = Number(missing[0]?.n);
      if (n === 0) break;
      if (Date.now() > deadline) {
        throw new Error(
          `${to} lacks ${n} events the live version has: are they missing from the event store?`,
        );
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    await client.query(
      `INSERT INTO ${to}.consumer_offsets (topic, partition, next_offset) SELECT topic, partition, next_offset FROM ${from}.consumer_offsets`,
    );
    await client.query(activateDdl(to));
  });
  o.onProgress?.({ phase: "switched", schema: to, applied, total });
  return { from, to, applied, switched: true };
}
