import { SpanKind, context, trace } from "@opentelemetry/api";
import type { Batch, Consumer, IHeaders, Kafka } from "kafkajs";
import {
  type ConsumedRecord,
  consumedRecord,
  createConsumer,
  createTransactionalProducer,
  deadLetterRecord,
  extractTraceContext,
  injectTraceContext,
  type Logger,
  type OutgoingRecord,
  type TransactionalProducer,
  transactionalIdFor,
} from "@fxcore/infra";
import { describeDecodeError, type Serde } from "@fxcore/schemas";
import type { MatcherMetrics } from "./matcher-metrics.ts";
import { PartitionMatcher, type PartitionMatcherOptions } from "./partition-matcher.ts";
import { loadLatestSnapshot, snapshotRecord } from "./snapshot-store.ts";

// The imperative shell around PartitionMatcher: consume fx.orders, apply, and
// in ONE Kafka transaction produce outputs to fx.executions (same partition as
// the input), poison records to fx.dlq, a snapshot every N inputs, and commit
// the consumed offsets. On assignment a partition is recovered from its latest
// snapshot plus a silent re-application of inputs up to the committed offset.

const tracer = trace.getTracer("@fxcore/matcher");

export interface MatcherWorkerOptions {
  readonly kafka: Kafka;
  readonly serde: Serde;
  readonly logger: Logger;
  readonly groupId: string;
  readonly inputTopic: string;
  readonly outputTopic: string;
  readonly snapshotTopic: string;
  readonly dlqTopic: string;
  /** Inputs between snapshots. */
  readonly snapshotEvery: number;
  readonly transactionalIdPrefix: string;
  readonly matcher: PartitionMatcherOptions;
  readonly metrics?: MatcherMetrics;
  /** Partitions processed in parallel by this instance. */
  readonly concurrency?: number;
  readonly sessionTimeoutMs?: number;
  /** Inputs per Kafka transaction (default 5,000). */
  readonly maxInputsPerTransaction?: number;
  /** Largest snapshot record (compressed) the snapshot topic accepts; default 9 MiB (topic: 10 MiB). */
  readonly snapshotMaxBytes?: number;
  readonly heartbeatMs?: number;
}

interface PartitionState {
  readonly partition: number;
  readonly matcher: PartitionMatcher;
  readonly producer: TransactionalProducer;
  /** Inputs below this offset were already answered before: apply them, emit nothing. */
  readonly silentUntil: bigint;
  /** Next input offset to apply. */
  nextOffset: bigint;
  sinceSnapshot: number;
}

export interface RunningMatcher {
  /** Partitions this instance owns and has recovered. */
  owned(): number[];
  /** True once the consumer joined the group. */
  ready(): boolean;
  /** Snapshots every owned partition (best effort), then leaves the group. */
  stop(): Promise<void>;
}

export async function startMatcher(o: MatcherWorkerOptions): Promise<RunningMatcher> {
  const admin = o.kafka.admin();
  await admin.connect();
  const consumer: Consumer = createConsumer(o.kafka, {
    groupId: o.groupId,
    readCommitted: true,
    maxBytesPerPartition: 4 * 1024 * 1024,
    ...(o.sessionTimeoutMs !== undefined ? { sessionTimeout: o.sessionTimeoutMs } : {}),
    ...(o.heartbeatMs !== undefined ? { heartbeatInterval: o.heartbeatMs } : {}),
  });
  const states = new Map<number, PartitionState>();
  let joined = false;
  let stopping = false;

  const drop = (p: number) => {
    const s = states.get(p);
    if (s === undefined) return;
    states.delete(p);
    void s.producer.disconnect().catch(() => {});
  };

  consumer.on(consumer.events.GROUP_JOIN, (e) => {
    joined = true;
    const mine = new Set(e.payload.memberAssignment[o.inputTopic] ?? []);
    for (const p of [...states.keys()]) if (!mine.has(p)) drop(p);
    o.logger.info({ partitions: [...mine].sort((a, b) => a - b) }, "matcher assignment");
  });

  const recover = async (partition: number): Promise<PartitionState> => {
    const started = performance.now();
    // Connecting the transactional producer fences a zombie owner of this
    // partition and aborts its open transaction: only then are the committed
    // offset and the latest snapshot final.
    const producer = await createTransactionalProducer(o.kafka, {
      transactionalId: transactionalIdFor(o.transactionalIdPrefix, o.inputTopic, partition),
    });
    try {
      const [committed] = await admin.fetchOffsets({ groupId: o.groupId, topics: [o.inputTopic] });
      const c = committed?.partitions.find((x) => x.partition === partition)?.offset;
      const committedOffset = c !== undefined && c !== "-1" ? BigInt(c) : undefined;
      const snapshot = await loadLatestSnapshot({
        kafka: o.kafka,
        admin,
        snapshotTopic: o.snapshotTopic,
        inputTopic: o.inputTopic,
        partition,
        logger: o.logger,
      });
      const matcher = new PartitionMatcher(o.matcher);
      let start: bigint;
      if (snapshot !== undefined) {
        const problem = matcher.restore(snapshot.books, snapshot.recentInputIds);
        if (problem !== undefined) throw new Error(problem);
        start = snapshot.nextOffset;
      } else {
        const topicOffsets = await admin.fetchTopicOffsets(o.inputTopic);
        start = BigInt(topicOffsets.find((x) => x.partition === partition)?.low ?? "0");
      }
      // A committed offset behind the snapshot means offsets were lost: the
      // snapshot (committed atomically with its offset) is the truth.
      const silentUntil =
        committedOffset !== undefined && committedOffset > start ? committedOffset : start;
      o.logger.info(
        {
          partition,
          snapshotAt: snapshot?.nextOffset.toString() ?? null,
          committed: committedOffset?.toString() ?? null,
          replaySilentlyTo: silentUntil.toString(),
          ms: Math.round(performance.now() - started),
        },
        "partition recovered",
      );
      o.metrics?.recoveries.inc();
      return { partition, matcher, producer, silentUntil, nextOffset: start, sinceSnapshot: 0 };
    } catch (err) {
      await producer.disconnect().catch(() => {});
      throw err;
    }
  };

  await consumer.connect();
  await consumer.subscribe({ topic: o.inputTopic, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: o.concurrency ?? 1,
    eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
      if (stopping) return;
      const p = batch.partition;
      let state = states.get(p);
      if (state === undefined) {
        state = await recover(p);
        states.set(p, state);
        const first = batch.firstOffset();
        if (first === null || BigInt(first) !== state.nextOffset) {
          consumer.seek({ topic: o.inputTopic, partition: p, offset: state.nextOffset.toString() });
          return;
        }
      }
      try {
        await processBatch(o, state, batch, { resolveOffset, heartbeat, isRunning, isStale });
      } catch (err) {
        // The engine already applied inputs whose transaction did not commit:
        // its state is no longer the committed one. Recover it from scratch.
        o.logger.warn({ partition: p, err }, "batch failed; partition will be recovered");
        drop(p);
        throw err;
      }
    },
  });

  return {
    owned: () => [...states.keys()].sort((a, b) => a - b),
    ready: () => joined,
    async stop() {
      stopping = true;
      await consumer.stop().catch(() => {});
      for (const state of states.values()) {
        if (state.sinceSnapshot === 0 || state.nextOffset <= state.silentUntil) continue;
        const record = snapshotOf(o, state);
        if (record === undefined) continue;
        await state.producer
          .transaction(async (tx) => {
            await tx.send(o.snapshotTopic, [record]);
          })
          .catch((err: unknown) =>
            o.logger.warn({ err, partition: state.partition }, "final snapshot failed"),
          );
      }
      for (const p of [...states.keys()]) drop(p);
      await consumer.disconnect().catch(() => {});
      await admin.disconnect().catch(() => {});
    },
  };
}

function snapshotOf(o: MatcherWorkerOptions, state: PartitionState): OutgoingRecord | undefined {
  const record = snapshotRecord(
    o.inputTopic,
    state.partition,
    {
      nextOffset: state.nextOffset,
      books: state.matcher
        .books()
        .map(({ symbol, engine }) => ({ symbol, bytes: engine.snapshot() })),
      recentInputIds: state.matcher.recentInputIds(),
    },
    o.snapshotMaxBytes ?? 9 * 1024 * 1024,
  );
  if (record === undefined) {
    o.logger.warn(
      { partition: state.partition, nextOffset: state.nextOffset.toString() },
      "snapshot larger than the snapshot topic accepts: skipped (recovery replays from an older one)",
    );
    o.metrics?.snapshotsSkipped.inc({ partition: String(state.partition) });
  }
  return record;
}

/** Default inputs per Kafka transaction: each costs ~5 broker round trips, so bigger is faster; it also bounds the redo after a failure. */
const DEFAULT_INPUTS_PER_TRANSACTION = 5_000;
/** Records per send call inside a transaction: one produce request stays under the broker's message.max.bytes. */
const MAX_RECORDS_PER_SEND = 1_000;

async function processBatch(
  o: MatcherWorkerOptions,
  state: PartitionState,
  batch: Batch,
  ctl: {
    resolveOffset: (offset: string) => void;
    heartbeat: () => Promise<void>;
    isRunning: () => boolean;
    isStale: () => boolean;
  },
): Promise<void> {
  const messages = batch.messages;
  const step = o.maxInputsPerTransaction ?? DEFAULT_INPUTS_PER_TRANSACTION;
  for (let from = 0; from < messages.length; from += step) {
    if (!ctl.isRunning() || ctl.isStale()) return;
    await processSlice(o, state, batch, messages.slice(from, from + step), ctl);
  }
}

async function processSlice(
  o: MatcherWorkerOptions,
  state: PartitionState,
  batch: Batch,
  messages: Batch["messages"],
  ctl: {
    resolveOffset: (offset: string) => void;
    heartbeat: () => Promise<void>;
    isRunning: () => boolean;
    isStale: () => boolean;
  },
): Promise<void> {
  const started = performance.now();
  const outputs: OutgoingRecord[] = [];
  const dead: OutgoingRecord[] = [];
  let lastOffset: string | undefined;
  let liveInputs = 0;
  let duplicates = 0;
  for (const message of messages) {
    if (!ctl.isRunning() || ctl.isStale()) break;
    const offset = BigInt(message.offset);
    if (offset < state.nextOffset) continue;
    const record = consumedRecord(batch.topic, batch.partition, message);
    const silent = offset < state.silentUntil;
    const decoded = await o.serde.decode(message.value);
    if (!decoded.ok) {
      if (!silent)
        dead.push(deadLetterRecord(record, describeDecodeError(decoded.error), o.groupId));
    } else {
      const outcome = state.matcher.apply(decoded.value);
      if (outcome.kind === "duplicate" && !silent) duplicates++;
      if (outcome.kind === "poison") {
        if (!silent) dead.push(deadLetterRecord(record, outcome.reason, o.groupId));
      } else if (outcome.kind === "outputs" && !silent && outcome.outputs.length > 0) {
        const headers = traceHeadersFor(record);
        for (const envelope of outcome.outputs) {
          outputs.push({
            key: outcome.symbol,
            value: await o.serde.encode(o.outputTopic, envelope),
            partition: batch.partition,
            headers: { ...headers, "fx-event-type": envelope.payload.type },
          });
        }
      }
    }
    if (!silent) liveInputs++;
    state.nextOffset = offset + 1n;
    state.sinceSnapshot++;
    lastOffset = message.offset;
  }
  if (lastOffset === undefined) return;

  if (liveInputs === 0 && state.nextOffset <= state.silentUntil) {
    // Pure recovery replay: nothing to emit and nothing new to commit.
    ctl.resolveOffset(lastOffset);
    await ctl.heartbeat();
    return;
  }
  const snapshot = state.sinceSnapshot >= o.snapshotEvery ? snapshotOf(o, state) : undefined;
  const snapshotDue = state.sinceSnapshot >= o.snapshotEvery;
  await state.producer.transaction(async (tx) => {
    for (let i = 0; i < outputs.length; i += MAX_RECORDS_PER_SEND) {
      await tx.send(o.outputTopic, outputs.slice(i, i + MAX_RECORDS_PER_SEND));
    }
    if (dead.length > 0) await tx.send(o.dlqTopic, dead);
    if (snapshot !== undefined) await tx.send(o.snapshotTopic, [snapshot]);
    await tx.sendOffsets(o.groupId, [
      { topic: batch.topic, partition: batch.partition, offset: state.nextOffset.toString() },
    ]);
  });
  if (snapshotDue) state.sinceSnapshot = 0;
  ctl.resolveOffset(lastOffset);
  await ctl.heartbeat();

  const m = o.metrics;
  if (m !== undefined) {
    const labels = { partition: String(batch.partition) };
    m.inputs.inc(labels, liveInputs);
    m.outputs.inc(labels, outputs.length);
    m.deadLettered.inc(labels, dead.length);
    m.duplicates.inc(labels, duplicates);
    m.batchSeconds.observe((performance.now() - started) / 1000);
    m.inputLag.set(labels, Math.max(0, Number(BigInt(batch.highWatermark) - state.nextOffset)));
    if (snapshot !== undefined) m.snapshots.inc(labels);
  }
}

/**
 * Headers that continue the producer's trace: a short CONSUMER span per input
 * carrying the record's trace context, whose context rides on the outputs.
 */
function traceHeadersFor(record: ConsumedRecord): IHeaders {
  if (record.headers.traceparent === undefined) return {};
  const parent = extractTraceContext(record.headers);
  const span = tracer.startSpan(
    `${record.topic} match`,
    {
      kind: SpanKind.CONSUMER,
      attributes: {
        "messaging.system": "kafka",
        "messaging.destination.name": record.topic,
        "messaging.kafka.destination.partition": record.partition,
        "messaging.kafka.message.offset": record.offset,
      },
    },
    parent,
  );
  const headers = injectTraceContext({}, trace.setSpan(context.active(), span));
  span.end();
  return headers;
}
