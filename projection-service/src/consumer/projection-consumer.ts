// The imperative shell around the projector: a read_committed consumer of
// fx.orders + fx.executions whose positions live in Postgres, not Kafka.
//
// Three stages overlap (ADR 076): kafkajs fetches and we decode into a queue
// (eachBatch returns at once, so the next fetch starts while Postgres works);
// the writer takes whatever is queued — across partitions, up to
// maxEventsPerTransaction — and prepares the next batch in memory while the
// previous one commits; each batch's changes and its partitions' next offsets
// commit in one transaction. Live, batches are as small as what arrived
// during the last commit; lagging, they grow to the cap.
//
// Any failure resets the pipeline to what Postgres holds: queue dropped,
// partitions re-sought to the stored offsets. Kafka's own committed offsets
// are only a hint, written after the Postgres commit.
import type { Kafka, Logger, PgPool } from "@fxcore/infra";
import {
  type ConsumedRecord,
  consumedRecord,
  createConsumer,
  createProducer,
  type DecodeResult,
  type FxProducer,
  sendToDeadLetter,
} from "@fxcore/infra";
import {
  type BatchResult,
  type BatchSource,
  commitBatch,
  type DecodedEvent,
  type InFlight,
  type PreparedBatch,
  type ProjectorOptions,
  prepareBatch,
} from "../projector/project-batch.ts";

export const PROJECTION_TOPICS = ["fx.orders", "fx.executions"] as const;

export interface PartitionProgress {
  readonly topic: string;
  readonly partition: number;
  /** Records of this partition the batch covered (poison records included). */
  readonly size: number;
  /** Events of this partition the batch applied (duplicates excluded). */
  readonly applied: number;
  readonly lag: bigint;
}

export interface ProjectionConsumerOptions {
  readonly kafka: Kafka;
  readonly pool: PgPool;
  readonly groupId: string;
  readonly topics?: readonly string[];
  /** Synchronous when it can be (no promise and microtask per record); a throw or rejection is a poison record. */
  readonly decode: (
    record: ConsumedRecord,
  ) => DecodeResult<DecodedEvent> | Promise<DecodeResult<DecodedEvent>>;
  readonly projector: ProjectorOptions;
  readonly logger?: Logger;
  readonly dlqTopic?: string;
  /** Cap on events per Postgres transaction (default 2500); live batches are smaller. */
  readonly maxEventsPerTransaction?: number;
  /**
   * Cap on the first batch after a start or resync (default 250), doubled
   * batch by batch up to maxEventsPerTransaction: Postgres starts on the
   * first commit while the rest is still being projected (ADR 116).
   */
  readonly firstBatchEvents?: number;
  /** How long a dead member (kill -9) holds its partitions before the group moves on. */
  readonly sessionTimeoutMs?: number;
  /** Called after each committed batch (metrics, SSE fan-out). */
  readonly onBatch?: (info: {
    partitions: readonly PartitionProgress[];
    size: number;
    result: BatchResult;
    /** When the batch passed each stage (performance.now() of this thread): order-to-visible broken down by hop. */
    timing: BatchTiming;
  }) => void;
}

export interface BatchTiming {
  /** Taken from the queue (its events had been fetched and decoded before). */
  readonly taken: number;
  /** Projected in memory, statements encoded. */
  readonly prepared: number;
  /** Its transaction began (after the batch before it committed). */
  readonly writing: number;
  /** COMMIT answered: visible to readers. */
  readonly committed: number;
}

export interface ProjectionConsumer {
  readonly joined: Promise<void>;
  stop(): Promise<void>;
}

export async function storedOffsets(pool: PgPool, schema: string): Promise<Map<string, bigint>> {
  const { rows } = await pool.query<{ topic: string; partition: number; next_offset: string }>(
    `SELECT topic, partition, next_offset FROM ${schema}.consumer_offsets`,
  );
  return new Map(rows.map((r) => [`${r.topic}/${r.partition}`, BigInt(r.next_offset)]));
}

/** Decoded records of one partition, in offset order, not yet taken by the writer. */
interface PartitionQueue {
  readonly topic: string;
  readonly partition: number;
  events: DecodedEvent[];
  offsets: bigint[];
  timestamps: number[];
  /** Next offset once everything fetched so far is written (poison records included). */
  fetchedNext: bigint;
  /** Next offset once everything taken so far is written. */
  takenNext: bigint;
  /** Records fetched but not taken (for batch-size metrics). */
  records: number;
  highWatermark: bigint;
}

const key = (topic: string, partition: number) => `${topic}/${partition}`;

export async function startProjectionConsumer(
  o: ProjectionConsumerOptions,
): Promise<ProjectionConsumer> {
  const consumer = createConsumer(o.kafka, {
    groupId: o.groupId,
    readCommitted: true,
    // Fetches of at most 256 KB per partition (was 4 MB, ADR 125): kafkajs
    // parses a whole fetch into message objects before the first eachBatch,
    // so a catch-up's first 4 MB fetches held the writer back ~80-460 ms and
    // their thousands of records outlived scavenges; small fetches are parsed
    // as they are needed (first take ~25-30 ms after the join, ~5 µs less
    // CPU per event).
    maxBytesPerPartition: 256 << 10,
    ...(o.sessionTimeoutMs === undefined ? {} : { sessionTimeout: o.sessionTimeoutMs }),
  });
  const producer: FxProducer = await createProducer(o.kafka);
  const schema = o.projector.schema;
  // 2,500 rather than 5,000 since a batch's write is one round trip (ADR 110):
  // the first prepare and the last commit of a catch-up overlap nothing, and
  // halving them beat the ~5 ms of Postgres per extra batch (alternating
  // catch-ups: 14.8-17.3k against 9.5-18.0k events/s).
  const maxPerTx = o.maxEventsPerTransaction ?? 2_500;
  const maxQueued = maxPerTx * 4;
  const firstCap = Math.min(maxPerTx, Math.max(1, o.firstBatchEvents ?? 250));
  /** This batch's cap: ramps from firstCap to maxPerTx after every start or resync. */
  let cap = firstCap;

  let running = true;
  /** Bumped on every reset: work started under an older generation is dropped. */
  let generation = 0;
  let assigned: { topic: string; partition: number }[] = [];
  const queues = new Map<string, PartitionQueue>();
  /** Next offset after everything taken per partition (outlives the partition's queue). */
  const takenUpTo = new Map<string, bigint>();
  let queued = 0;
  /** Next offset per partition as committed in Postgres (plus what this process wrote since). */
  let stored = new Map<string, bigint>();
  let ready: Promise<void> = Promise.resolve();
  let markJoined: () => void = () => {};
  const joined = new Promise<void>((r) => {
    markJoined = r;
  });

  // Writer state: batch N+1 is prepared while batch N commits.
  let committing: Promise<void> = Promise.resolve();
  let inFlight: InFlight | undefined;
  const writerIdle = () => committing.catch(() => {});
  let lastHint = 0;
  let wakeWriter: (() => void) | undefined;
  let roomWaiters: (() => void)[] = [];
  const wake = () => {
    wakeWriter?.();
    wakeWriter = undefined;
  };
  const freeRoom = () => {
    for (const w of roomWaiters) w();
    roomWaiters = [];
  };

  /**
   * Back to what Postgres holds: drop the queue (and whatever is being
   * prepared), wait for a commit in progress, reload the offsets, re-seek every
   * assigned partition.
   */
  const resync = (): Promise<void> => {
    generation++;
    cap = firstCap;
    queues.clear();
    takenUpTo.clear();
    queued = 0;
    freeRoom();
    const done = (async () => {
      await writerIdle();
      inFlight = undefined;
      stored = await storedOffsets(o.pool, schema);
      for (const { topic, partition } of assigned) {
        // No stored offset: from the start (offset 0 out of range resets to the earliest).
        const offset = (stored.get(key(topic, partition)) ?? 0n).toString();
        consumer.seek({ topic, partition, offset });
      }
    })();
    // eachBatch waits for this: nothing is queued against offsets being reloaded.
    ready = done.catch(() => {});
    return done;
  };

  consumer.on(consumer.events.GROUP_JOIN, (e) => {
    assigned = Object.entries(e.payload.memberAssignment).flatMap(([topic, ps]) =>
      ps.map((partition) => ({ topic, partition })),
    );
    resync().then(markJoined, (err: unknown) =>
      o.logger?.error({ err }, "projection: loading stored offsets failed"),
    );
  });

  /** Takes up to maxPerTx events across partitions, oldest (Kafka timestamp) first. */
  const take = () => {
    const events: DecodedEvent[] = [];
    const origins: PartitionQueue[] = [];
    const live = [...queues.values()];
    // Per-queue cursors by position: this merge runs once per event.
    const taken = live.map(() => 0);
    while (events.length < cap) {
      let best = -1;
      let bestTs = Number.POSITIVE_INFINITY;
      for (let i = 0; i < live.length; i++) {
        const ts = live[i]!.timestamps[taken[i]!];
        if (ts !== undefined && ts < bestTs) {
          bestTs = ts;
          best = i;
        }
      }
      if (best < 0) break;
      const q = live[best]!;
      events.push(q.events[taken[best]!]!);
      origins.push(q);
      taken[best]!++;
    }
    const sources: BatchSource[] = [];
    const partitions: { q: PartitionQueue; events: number; records: number }[] = [];
    for (let i = 0; i < live.length; i++) {
      const q = live[i]!;
      const n = taken[i]!;
      const all = n === q.events.length;
      const next = all ? q.fetchedNext : q.offsets[n]!;
      if (next <= q.takenNext) continue;
      // Records consumed: offsets between what was taken before and `next` (poison records count).
      const records = all ? q.records : Math.min(q.records, n);
      q.events = q.events.slice(n);
      q.offsets = q.offsets.slice(n);
      q.timestamps = q.timestamps.slice(n);
      q.records -= records;
      q.takenNext = next;
      takenUpTo.set(key(q.topic, q.partition), next);
      sources.push({ topic: q.topic, partition: q.partition, nextOffset: next });
      partitions.push({ q, events: n, records });
      if (all) queues.delete(key(q.topic, q.partition));
    }
    queued -= events.length;
    if (events.length > 0) cap = Math.min(maxPerTx, cap * 2);
    freeRoom();
    return { events, origins, sources, partitions };
  };

  const commit = async (
    gen: number,
    prepared: PreparedBatch,
    taken: ReturnType<typeof take>,
    stages: { taken: number; prepared: number },
  ) => {
    const writing = performance.now();
    await commitBatch(o.pool, prepared);
    const committed = performance.now();
    if (gen !== generation) return;
    for (const s of prepared.sources) stored.set(key(s.topic, s.partition), s.nextOffset);
    if (o.onBatch) {
      const applied = new Set(prepared.result.eventIds);
      const byQueue = new Map<PartitionQueue, number>();
      taken.events.forEach((d, i) => {
        const q = taken.origins[i]!;
        if (applied.has(d.envelope.eventId)) byQueue.set(q, (byQueue.get(q) ?? 0) + 1);
      });
      const perPartition = taken.partitions.map(({ q, records }) => {
        const n = byQueue.get(q) ?? 0;
        return {
          topic: q.topic,
          partition: q.partition,
          size: records,
          applied: n,
          lag: q.highWatermark - q.takenNext,
        };
      });
      o.onBatch({
        partitions: perPartition,
        size: taken.partitions.reduce((a, p) => a + p.records, 0),
        result: prepared.result,
        timing: { ...stages, writing, committed },
      });
    }
    // The hint for Kafka tools (lag dashboards), at most once a second, never ahead of Postgres.
    const now = Date.now();
    if (now - lastHint > 1_000) {
      lastHint = now;
      consumer
        .commitOffsets(
          prepared.sources.map((s) => ({
            topic: s.topic,
            partition: s.partition,
            offset: s.nextOffset.toString(),
          })),
        )
        .catch(() => {});
    }
  };

  /** A batch that failed (prepare or commit): the writer resyncs before anything else. */
  let failed: unknown;
  const writer = (async () => {
    while (running) {
      if (failed !== undefined) {
        o.logger?.error(
          { err: failed },
          "projection batch failed: resuming from the stored offsets",
        );
        failed = undefined;
        await new Promise((r) => setTimeout(r, 1_000));
        if (!running) break;
        await resync().catch((e: unknown) => {
          failed = e;
        });
        committing = Promise.resolve();
        continue;
      }
      if (queues.size === 0) {
        await new Promise<void>((r) => {
          wakeWriter = r;
        });
        continue;
      }
      const gen = generation;
      const takenAt = performance.now();
      const taken = take();
      if (taken.sources.length === 0) continue;
      try {
        const prepared = await prepareBatch(
          o.pool,
          o.projector,
          { source: taken.sources, events: taken.events },
          inFlight,
        );
        const preparedAt = performance.now();
        await committing;
        if (gen !== generation || !running) {
          inFlight = undefined;
          continue;
        }
        inFlight = prepared.inFlight;
        committing = commit(gen, prepared, taken, { taken: takenAt, prepared: preparedAt });
        // An idle writer must still notice: the failed batch is retried from the stored offsets.
        committing.catch((err: unknown) => {
          failed ??= err;
          wake();
        });
      } catch (err) {
        failed ??= err;
      }
    }
  })();

  await consumer.connect();
  for (const topic of o.topics ?? PROJECTION_TOPICS)
    await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: true,
    eachBatch: async ({ batch, heartbeat, isRunning, isStale }) => {
      // Until no resync is in progress. A batch fetched before a resync's seek
      // is stale (isStale) and dropped below, as is one that outlives a resync.
      for (let r = ready; ; r = ready) {
        await r;
        if (r === ready) break;
      }
      const gen = generation;
      const { topic, partition } = batch;
      const k = key(topic, partition);
      const q = queues.get(k);
      const floor = q?.fetchedNext ?? takenUpTo.get(k) ?? stored.get(k) ?? 0n;
      let events: DecodedEvent[] = [];
      let offsets: bigint[] = [];
      let timestamps: number[] = [];
      let records = 0;
      let last = -1n;
      /** Where the records not queued yet start (moves on when a first part is queued early). */
      let base = floor;
      /** Queues what was decoded so far; false when the batch is to be dropped (stale, resync, stop). */
      const enqueue = (): boolean => {
        if (last < 0n || gen !== generation || !isRunning() || isStale()) return false;
        if (records === 0) return true; // all of it queued early
        let target = queues.get(k);
        if (!target) {
          target = {
            topic,
            partition,
            events: [],
            offsets: [],
            timestamps: [],
            fetchedNext: base,
            takenNext: base,
            records: 0,
            highWatermark: 0n,
          };
          queues.set(k, target);
        }
        for (let i = 0; i < events.length; i++) {
          target.events.push(events[i]!);
          target.offsets.push(offsets[i]!);
          target.timestamps.push(timestamps[i]!);
        }
        target.fetchedNext = last + 1n;
        base = last + 1n;
        target.records += records;
        target.highWatermark = BigInt(batch.highWatermark);
        queued += events.length;
        events = [];
        offsets = [];
        timestamps = [];
        records = 0;
        wake();
        return true;
      };
      for (const m of batch.messages) {
        const offset = BigInt(m.offset);
        if (offset < floor) continue; // already queued or in the read models
        records++;
        last = offset;
        const record = consumedRecord(topic, partition, m);
        let d: DecodeResult<DecodedEvent>;
        try {
          const r = o.decode(record);
          d = r instanceof Promise ? await r : r;
        } catch (err) {
          d = { ok: false, reason: String(err) };
        }
        if (d.ok) {
          events.push(d.value);
          offsets.push(offset);
          timestamps.push(Number(m.timestamp));
          // An idle writer gets a first batch's worth at once instead of
          // waiting for the whole fetch to decode (a catch-up's first fetch
          // holds thousands of records per partition; ADR 116).
          if (wakeWriter !== undefined && queued === 0 && events.length >= cap) {
            if (!enqueue()) return;
            await new Promise<void>((r) => setImmediate(r));
          }
        } else {
          o.logger?.warn(
            { topic, partition, offset: m.offset, reason: d.reason },
            "poison record to the dead-letter topic",
          );
          await sendToDeadLetter(producer, record, d.reason, {
            consumerGroup: o.groupId,
            topic: o.dlqTopic,
          });
        }
      }
      if (!enqueue()) return;
      // Backpressure: hold the fetcher while the writer is far behind.
      while (queued > maxQueued && gen === generation && running && isRunning()) {
        await new Promise<void>((r) => {
          roomWaiters.push(r);
          setTimeout(r, 1_000);
        });
        await heartbeat();
      }
    },
  });
  return {
    joined,
    async stop() {
      running = false;
      wake();
      freeRoom();
      await writer;
      await writerIdle();
      await consumer.disconnect();
      await producer.disconnect();
    },
  };
}
