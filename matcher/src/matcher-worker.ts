import { SpanKind, context, trace } from "@opentelemetry/api";
import type { Batch, Consumer, IHeaders, Kafka, KafkaMessage } from "kafkajs";
import {
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
import { createMatcherCodec, type MatcherCodec } from "./matcher-codec.ts";
import type { MatcherMetrics } from "./matcher-metrics.ts";
import {
  COMMAND_SIDE_OUTCOMES,
  MATCHER_INPUT_TYPES,
  MATCHER_OUTPUT_TYPES,
  PartitionMatcher,
  type PartitionMatcherOptions,
} from "./partition-matcher.ts";
import { captureStateInTurns, type ReadySnapshot, snapshotInSlices } from "./snapshot-in-slices.ts";
import { loadLatestSnapshot, snapshotRecord } from "./snapshot-store.ts";
import { type SnapshotThread, startSnapshotThread } from "./snapshot-thread.ts";

// The imperative shell around PartitionMatcher: consume fx.orders, apply, and
// in ONE Kafka transaction produce outputs to fx.executions (same partition as
// the input), poison records to fx.dlq, a snapshot every N inputs, and commit
// the consumed offsets. On assignment a partition is recovered from its latest
// snapshot plus a silent re-application of inputs up to the committed offset.
// A slice's transaction runs while the next slice is applied (one transaction
// in flight per partition); if it fails, the partition is recovered again.

const tracer = trace.getTracer("@fxcore/matcher");

export interface MatcherWorkerOptions {
  readonly kafka: Kafka;
  readonly serde: Serde;
  /** SCHEMA_REGISTRY_URL: lets inputs written with the current schemas take the fast decode path. */
  readonly registryUrl?: string;
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
  /**
   * Least time between the starts of two transactions of a partition (default
   * 5 ms) unless a full transaction's worth of inputs waits: each transaction
   * costs the broker ~8 log appends and requests whatever it carries.
   */
  readonly minTransactionIntervalMs?: number;
  /**
   * While catching up on a backlog (a full transaction's worth of inputs is on
   * the broker), a transaction waits to be full, at most this long from its
   * first input's apply (default 1,000; 0: never waits for that).
   */
  readonly catchUpFillMs?: number;
  /** Largest snapshot record (compressed) the snapshot topic accepts; default 9 MiB (topic: 10 MiB). */
  readonly snapshotMaxBytes?: number;
  readonly heartbeatMs?: number;
  /**
   * Take snapshots in slices (default true): the state is copied out of the
   * engines at a slice boundary and encoded between the partition's own work,
   * so the partition does not pause for it. False: inline, as a slice's last step.
   */
  readonly backgroundSnapshots?: boolean;
  /**
   * Background snapshots are encoded on a worker thread (default true, ADR
   * 103); false: in slices on the partition's own thread (ADR 091).
   */
  readonly snapshotThread?: boolean;
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
  /** A snapshot being encoded in slices, while it is. */
  snapshotJob: Promise<void> | undefined;
  /** A finished snapshot waiting to ride in the next slice's transaction. */
  readySnapshot: ReadySnapshot | undefined;
  /** Slices applied and not yet in a transaction: the next one takes them all. */
  pending: ComputedSlice[];
  pendingInputs: number;
  /** The transaction in flight, or the last one (never rejects; see `failed`). */
  inFlight: Promise<void>;
  committing: boolean;
  /** When the last transaction started (performance.now()). */
  lastTxnStartedAt: number;
  /** A pump waiting out the minimum transaction interval. */
  pumpTimer: ReturnType<typeof setTimeout> | undefined;
  /** Dropped (revoked, failed, stopping): start no more transactions. */
  dropped: boolean;
  /** Set when a transaction failed: the engine is ahead of what was committed. */
  failed: boolean;
  /** Next offset as of the last committed transaction (where to read again after a failure). */
  committedOffset: bigint;
}

interface MatcherWorkerContext extends MatcherWorkerOptions {
  readonly codec: MatcherCodec;
  readonly thread: SnapshotThread | undefined;
}

export interface RunningMatcher {
  /** Partitions this instance owns and has recovered. */
  owned(): number[];
  /** True once the consumer joined the group. */
  ready(): boolean;
  /** Snapshots every owned partition (best effort), then leaves the group. */
  stop(): Promise<void>;
}

export async function startMatcher(options: MatcherWorkerOptions): Promise<RunningMatcher> {
  const o: MatcherWorkerContext = {
    ...options,
    codec: createMatcherCodec({
      serde: options.serde,
      outputTopic: options.outputTopic,
      registryUrl: options.registryUrl,
    }),
    thread:
      (options.backgroundSnapshots ?? true) && (options.snapshotThread ?? true)
        ? startSnapshotThread()
        : undefined,
  };
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
  /** Per partition, the batch being applied (see eachBatch). */
  const applying = new Map<number, Promise<void>>();
  let joined = false;
  let stopping = false;

  const drop = (p: number, only?: PartitionState) => {
    const s = states.get(p);
    if (s === undefined || (only !== undefined && s !== only)) return;
    states.delete(p);
    s.dropped = true;
    s.pending = [];
    // After its transaction settled: disconnecting mid-transaction only makes it fail.
    void s.inFlight.then(() => s.producer.disconnect()).catch(() => {});
  };
  /** A slice's transaction failed: drop the state and read again from the last commit. */
  const onFailure = (state: PartitionState, err: unknown, what = "transaction") => {
    o.logger.warn(
      { partition: state.partition, err },
      `${what} failed; partition will be recovered`,
    );
    if (states.get(state.partition) !== state) return;
    drop(state.partition, state);
    if (stopping) return;
    try {
      consumer.seek({
        topic: o.inputTopic,
        partition: state.partition,
        offset: state.committedOffset.toString(),
      });
    } catch (e) {
      o.logger.warn({ partition: state.partition, err: e }, "seek after a failed transaction");
    }
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
      // Best effort: the first transaction would look these up anyway.
      await producer
        .warmUp([o.outputTopic, o.dlqTopic, o.snapshotTopic], o.groupId)
        .catch((err: unknown) => o.logger.warn({ partition, err }, "producer warm-up failed"));
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
      const state: PartitionState = {
        partition,
        matcher,
        producer,
        silentUntil,
        nextOffset: start,
        sinceSnapshot: 0,
        snapshotJob: undefined,
        readySnapshot: undefined,
        pending: [],
        pendingInputs: 0,
        inFlight: Promise.resolve(),
        committing: false,
        lastTxnStartedAt: 0,
        pumpTimer: undefined,
        dropped: false,
        failed: false,
        committedOffset: silentUntil,
      };
      return state;
    } catch (err) {
      await producer.disconnect().catch(() => {});
      throw err;
    }
  };

  // Registry lookups now, not in the first slices' latency.
  await o.codec.warmUp(
    o.inputTopic,
    [...MATCHER_INPUT_TYPES, ...COMMAND_SIDE_OUTCOMES],
    MATCHER_OUTPUT_TYPES,
  );
  await consumer.connect();
  await consumer.subscribe({ topic: o.inputTopic, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: o.concurrency ?? 1,
    eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
      if (stopping) return;
      const p = batch.partition;
      // A partition's batches are applied one at a time, in order.
      await applying.get(p);
      if (stopping) return;
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
      // Applied behind kafkajs's back: its fetch loop waits for eachBatch, so
      // returning now lets it fetch the next batch while this one is applied
      // (one batch ahead). Resolving only moves this process's fetch position —
      // offsets are committed inside transactions — and an apply stops early
      // only when its state is dropped (recovered from the committed offset,
      // after a seek) or the consumer stops.
      const applied = state;
      const work = processBatch(o, applied, batch, { isRunning, isStale }, onFailure).catch(
        (err: unknown) => {
          // The engine already applied inputs whose transaction did not commit:
          // its state is no longer the committed one. Recover it from scratch.
          onFailure(applied, err, "batch");
        },
      );
      applying.set(p, work);
      resolveOffset(batch.lastOffset());
      await heartbeat();
    },
  });

  return {
    owned: () => [...states.keys()].sort((a, b) => a - b),
    ready: () => joined,
    async stop() {
      stopping = true;
      await consumer.stop().catch(() => {});
      await Promise.all(applying.values());
      await Promise.all([...states.values()].map((s) => settled(o, s, onFailure)));
      for (const state of states.values()) {
        // A failed transaction leaves the engine ahead of the committed offset: no snapshot of that.
        if (state.failed) continue;
        if (state.sinceSnapshot === 0 || state.nextOffset <= state.silentUntil) continue;
        const record = await snapshotOf(o, state);
        if (record === undefined) continue;
        await state.producer
          .commit({ sends: [{ topic: o.snapshotTopic, records: [record] }] })
          .catch((err: unknown) =>
            o.logger.warn({ err, partition: state.partition }, "final snapshot failed"),
          );
      }
      for (const p of [...states.keys()]) drop(p);
      await consumer.disconnect().catch(() => {});
      await admin.disconnect().catch(() => {});
      await o.thread?.close();
    },
  };
}

/** Largest snapshot record by default: the snapshot topic's max.message.bytes is 10 MiB. */
const DEFAULT_SNAPSHOT_MAX_BYTES = 9 * 1024 * 1024;

function snapshotSkipped(o: MatcherWorkerContext, partition: number, nextOffset: bigint): void {
  o.logger.warn(
    { partition, nextOffset: nextOffset.toString() },
    "snapshot larger than the snapshot topic accepts: skipped (recovery replays from an older one)",
  );
  o.metrics?.snapshotsSkipped.inc({ partition: String(partition) });
}

async function snapshotOf(
  o: MatcherWorkerContext,
  state: PartitionState,
): Promise<OutgoingRecord | undefined> {
  const started = performance.now();
  const record = await snapshotRecord(
    o.inputTopic,
    state.partition,
    {
      nextOffset: state.nextOffset,
      books: state.matcher
        .books()
        .map(({ symbol, engine }) => ({ symbol, bytes: engine.snapshot() })),
      recentInputIds: state.matcher.recentInputIds(),
    },
    o.snapshotMaxBytes ?? DEFAULT_SNAPSHOT_MAX_BYTES,
  );
  if (record === undefined) snapshotSkipped(o, state.partition, state.nextOffset);
  o.metrics?.snapshotSeconds.observe((performance.now() - started) / 1000);
  return record;
}

/**
 * Captures the partition's state at this boundary (a book per turn: the
 * caller applies nothing meanwhile) and has it encoded in the background; the
 * result waits in `readySnapshot`.
 */
async function startSnapshotInSlices(
  o: MatcherWorkerContext,
  state: PartitionState,
): Promise<void> {
  const captured = await captureStateInTurns(state.matcher, state.nextOffset);
  state.snapshotJob = snapshotInSlices(
    captured,
    {
      inputTopic: o.inputTopic,
      partition: state.partition,
      maxBytes: o.snapshotMaxBytes ?? DEFAULT_SNAPSHOT_MAX_BYTES,
    },
    o.thread?.encode,
  ).then(
    (ready) => {
      state.snapshotJob = undefined;
      if (!state.dropped) state.readySnapshot = ready;
    },
    (err: unknown) => {
      // No snapshot this time; the next one is due after another interval.
      state.snapshotJob = undefined;
      o.logger.warn({ partition: state.partition, err }, "snapshot failed");
    },
  );
}

/** Default least time between two transactions' starts (see minTransactionIntervalMs). */
const DEFAULT_TXN_INTERVAL_MS = 15;
/** Default of catchUpFillMs. */
const DEFAULT_CATCH_UP_FILL_MS = 1_000;
/** Default inputs per Kafka transaction: each costs ~5 broker round trips, so bigger is faster; it also bounds the redo after a failure. */
const DEFAULT_INPUTS_PER_TRANSACTION = 5_000;
/**
 * Bytes per send inside a transaction: the producer puts one partition's
 * records of a send into one record batch, which must stay under the topic's
 * max.message.bytes (broker default 1 MiB). Per record we count key, value,
 * headers and 96 bytes of framing and trace header.
 */
const MAX_SEND_BYTES = 900_000;
/**
 * Inputs applied between two turns of the event loop: a transaction's
 * responses are handled within one such chunk (~5-10 ms), not after a whole
 * slice of up to `maxInputsPerTransaction` inputs.
 */
const INPUTS_PER_TURN = 256;

interface BatchControl {
  isRunning: () => boolean;
  isStale: () => boolean;
}

/** One slice of inputs, applied, with what its transaction must write. */
interface ComputedSlice {
  readonly partition: number;
  readonly topic: string;
  readonly outputs: OutgoingRecord[];
  readonly outputBytes: number[];
  readonly dead: OutgoingRecord[];
  readonly snapshot: OutgoingRecord | undefined;
  /** Offset to commit: the next input to read after this slice. */
  readonly nextOffset: bigint;
  readonly lastOffset: string;
  readonly liveInputs: number;
  readonly duplicates: number;
  readonly highWatermark: string;
  readonly started: number;
}

/**
 * Applies a fetched batch slice by slice and hands each slice to the
 * partition's committer (`pump`): while one transaction is in flight, the
 * slices applied meanwhile wait and the next transaction takes them all (a
 * group commit: under light load a transaction is small and starts at once,
 * under heavy load it grows up to `maxInputsPerTransaction`). The loop waits
 * for the transaction in flight only when that much is already waiting.
 */
async function processBatch(
  o: MatcherWorkerContext,
  state: PartitionState,
  batch: Batch,
  ctl: BatchControl,
  onFailure: (state: PartitionState, err: unknown) => void,
): Promise<void> {
  const messages = batch.messages;
  const step = o.maxInputsPerTransaction ?? DEFAULT_INPUTS_PER_TRANSACTION;
  for (let from = 0; from < messages.length; ) {
    if (!ctl.isRunning() || ctl.isStale() || state.failed || state.dropped) return;
    while (state.pendingInputs >= step && state.committing) {
      await state.inFlight;
      if (state.failed || state.dropped) return;
    }
    const to = Math.min(
      from + Math.max(1, Math.min(INPUTS_PER_TURN, step - state.pendingInputs)),
      messages.length,
    );
    const slice = await computeSlice(o, state, batch, from, to);
    const applied = to - from;
    from = to;
    if (slice === undefined) continue;
    if (slice.liveInputs === 0 && slice.nextOffset <= state.silentUntil) {
      // Pure recovery replay: nothing to emit and nothing new to commit.
      continue;
    }
    state.pending.push(slice);
    state.pendingInputs += applied;
    pump(o, state, onFailure);
    // Let responses (a commit finishing, the next one starting) in between chunks.
    if (from < messages.length) await new Promise<void>((r) => setImmediate(r));
  }
}

/** Resolves once nothing is waiting for or in a transaction (or the state was given up). */
async function settled(
  o: MatcherWorkerContext,
  state: PartitionState,
  onFailure: (state: PartitionState, err: unknown) => void,
): Promise<void> {
  while (state.committing || (state.pending.length > 0 && !state.failed && !state.dropped)) {
    pump(o, state, onFailure, true);
    await state.inFlight;
  }
}

/** Decodes and applies messages [from, to) of the batch; undefined when all were already applied. */
async function computeSlice(
  o: MatcherWorkerContext,
  state: PartitionState,
  batch: Batch,
  from: number,
  to: number,
): Promise<ComputedSlice | undefined> {
  const started = performance.now();
  const messages = batch.messages;
  const outputs: OutgoingRecord[] = [];
  const outputBytes: number[] = [];
  const dead: OutgoingRecord[] = [];
  const codec = o.codec;
  let lastOffset: string | undefined;
  let liveInputs = 0;
  let duplicates = 0;
  // Offsets as numbers in the loop (exact below 2^53, i.e. always): no bigint per input.
  let next = Number(state.nextOffset);
  const silentUntil = Number(state.silentUntil);
  try {
    for (let i = from; i < to; i++) {
      const message = messages[i]!;
      const offset = Number(message.offset);
      if (offset < next) continue;
      const silent = offset < silentUntil;
      const decoded = codec.decode(message.value) ?? (await codec.decodeSlow(message.value));
      if (!decoded.ok) {
        if (!silent)
          dead.push(
            deadLetterRecord(
              consumedRecord(batch.topic, batch.partition, message),
              describeDecodeError(decoded.error),
              o.groupId,
            ),
          );
      } else {
        const outcome = state.matcher.apply(decoded.value);
        if (outcome.kind === "duplicate" && !silent) duplicates++;
        if (outcome.kind === "poison") {
          if (!silent)
            dead.push(
              deadLetterRecord(
                consumedRecord(batch.topic, batch.partition, message),
                outcome.reason,
                o.groupId,
              ),
            );
        } else if (outcome.kind === "outputs" && !silent && outcome.outputs.length > 0) {
          const trace = traceHeadersFor(batch.topic, batch.partition, message);
          for (const envelope of outcome.outputs) {
            const value = codec.encode(envelope) ?? (await codec.encodeSlow(envelope));
            const type = envelope.payload.type;
            outputs.push({
              key: outcome.symbol,
              value,
              partition: batch.partition,
              headers:
                trace === undefined ? typeHeaders(type) : { ...trace, "fx-event-type": type },
            });
            outputBytes.push(value.length + outcome.symbol.length + type.length + 96);
          }
        }
      }
      if (!silent) liveInputs++;
      next = offset + 1;
      state.sinceSnapshot++;
      lastOffset = message.offset;
    }
  } finally {
    state.nextOffset = BigInt(next);
  }
  if (lastOffset === undefined) return undefined;
  let snapshot: OutgoingRecord | undefined;
  if (state.sinceSnapshot >= o.snapshotEvery && state.nextOffset > state.silentUntil) {
    if (!(o.backgroundSnapshots ?? true)) {
      snapshot = await snapshotOf(o, state);
      state.sinceSnapshot = 0;
    } else if (state.snapshotJob === undefined) {
      await startSnapshotInSlices(o, state);
      state.sinceSnapshot = 0;
    }
  }
  // A snapshot finished in slices rides in this slice's transaction: it is
  // valid at an earlier slice boundary, this transaction commits a later offset.
  const ready = state.readySnapshot;
  state.readySnapshot = undefined;
  if (ready !== undefined && snapshot === undefined) {
    o.metrics?.snapshotSeconds.observe(ready.seconds);
    if (ready.record === undefined) snapshotSkipped(o, state.partition, ready.nextOffset);
    snapshot = ready.record;
  }
  return {
    partition: batch.partition,
    topic: batch.topic,
    outputs,
    outputBytes,
    dead,
    snapshot,
    nextOffset: state.nextOffset,
    lastOffset,
    liveInputs,
    duplicates,
    highWatermark: batch.highWatermark,
    started,
  };
}

/**
 * Starts a transaction with every pending slice (outputs, dead letters,
 * snapshot, the last slice's offset) unless one is in flight; when it
 * settles, the next one starts with what was applied meanwhile. A failure is
 * handed to `onFailure`, which drops the partition's state (its engine is
 * ahead of what was committed) so it is recovered again.
 */
function pump(
  o: MatcherWorkerContext,
  state: PartitionState,
  onFailure: (state: PartitionState, err: unknown) => void,
  now = false,
): void {
  if (state.committing || state.failed || state.dropped || state.pending.length === 0) return;
  const step = o.maxInputsPerTransaction ?? DEFAULT_INPUTS_PER_TRANSACTION;
  const full = state.pendingInputs >= step;
  const at = performance.now();
  let wait = state.lastTxnStartedAt + (o.minTransactionIntervalMs ?? DEFAULT_TXN_INTERVAL_MS) - at;
  const newest = state.pending[state.pending.length - 1]!;
  if (Number(newest.highWatermark) - Number(newest.nextOffset) >= step - state.pendingInputs) {
    // Catching up: the inputs to fill this transaction are already on the
    // broker, so fill it (each transaction costs the broker ~10 requests and
    // log appends whatever it holds), within catchUpFillMs of the first apply.
    wait = Math.max(
      wait,
      state.pending[0]!.started + (o.catchUpFillMs ?? DEFAULT_CATCH_UP_FILL_MS) - at,
    );
  }
  if (wait > 0 && !full && !now) {
    state.pumpTimer ??= setTimeout(() => {
      state.pumpTimer = undefined;
      pump(o, state, onFailure);
    }, wait);
    return;
  }
  if (state.pumpTimer !== undefined) {
    clearTimeout(state.pumpTimer);
    state.pumpTimer = undefined;
  }
  state.lastTxnStartedAt = performance.now();
  const slices = state.pending;
  state.pending = [];
  state.pendingInputs = 0;
  state.committing = true;
  const last = slices[slices.length - 1]!;
  const sends: { topic: string; records: OutgoingRecord[] }[] = [];
  // Outputs in sends of at most MAX_SEND_BYTES bytes.
  let chunk: OutgoingRecord[] = [];
  let bytes = 0;
  for (const slice of slices) {
    const { outputs, outputBytes } = slice;
    for (let i = 0; i < outputs.length; i++) {
      const size = outputBytes[i]!;
      if (chunk.length > 0 && bytes + size > MAX_SEND_BYTES) {
        sends.push({ topic: o.outputTopic, records: chunk });
        chunk = [];
        bytes = 0;
      }
      chunk.push(outputs[i]!);
      bytes += size;
    }
  }
  if (chunk.length > 0) sends.push({ topic: o.outputTopic, records: chunk });
  const dead = slices.flatMap((s) => s.dead);
  if (dead.length > 0) sends.push({ topic: o.dlqTopic, records: dead });
  for (const s of slices)
    if (s.snapshot !== undefined) sends.push({ topic: o.snapshotTopic, records: [s.snapshot] });
  const before = { ...state.producer.stats };
  state.inFlight = state.producer
    .commit({
      sends,
      offsets: {
        groupId: o.groupId,
        offsets: [
          { topic: last.topic, partition: last.partition, offset: last.nextOffset.toString() },
        ],
      },
    })
    .then(
      () => {
        state.committedOffset = last.nextOffset;
        state.committing = false;
        const m = o.metrics;
        if (m !== undefined) {
          const labels = { partition: String(last.partition) };
          const now = performance.now();
          for (const slice of slices) {
            m.inputs.inc(labels, slice.liveInputs);
            m.outputs.inc(labels, slice.outputs.length);
            m.deadLettered.inc(labels, slice.dead.length);
            m.duplicates.inc(labels, slice.duplicates);
            if (slice.snapshot !== undefined) m.snapshots.inc(labels);
          }
          m.batchSeconds.observe((now - slices[0]!.started) / 1000);
          const after = state.producer.stats;
          const stage = m.transactionStageSeconds;
          stage.inc({ stage: "register" }, (after.registerMs - before.registerMs) / 1000);
          stage.inc({ stage: "write" }, (after.writeMs - before.writeMs) / 1000);
          stage.inc({ stage: "end" }, (after.endMs - before.endMs) / 1000);
          m.concurrentTransactionRetries.inc(after.concurrentRetries - before.concurrentRetries);
          m.inputLag.set(labels, Math.max(0, Number(BigInt(last.highWatermark) - last.nextOffset)));
        }
        pump(o, state, onFailure);
      },
      (err: unknown) => {
        state.committing = false;
        state.failed = true;
        onFailure(state, err);
      },
    );
}

const TYPE_HEADERS = new Map<string, IHeaders>();
/** The event-type header alone, one shared (never mutated) object per type. */
function typeHeaders(type: string): IHeaders {
  let h = TYPE_HEADERS.get(type);
  if (h === undefined) {
    h = Object.freeze({ "fx-event-type": type }) as IHeaders;
    TYPE_HEADERS.set(type, h);
  }
  return h;
}

/**
 * Headers that continue the producer's trace: a short CONSUMER span per input
 * carrying the record's trace context, whose context rides on the outputs.
 */
function traceHeadersFor(
  topic: string,
  partition: number,
  message: KafkaMessage,
): IHeaders | undefined {
  const headers = message.headers;
  if (headers === undefined || headers.traceparent === undefined) return undefined;
  const parent = extractTraceContext(headers);
  const span = tracer.startSpan(
    `${topic} match`,
    {
      kind: SpanKind.CONSUMER,
      attributes: {
        "messaging.system": "kafka",
        "messaging.destination.name": topic,
        "messaging.kafka.destination.partition": partition,
        "messaging.kafka.message.offset": message.offset,
      },
    },
    parent,
  );
  const out = injectTraceContext({}, trace.setSpan(context.active(), span));
  span.end();
  return out;
}
