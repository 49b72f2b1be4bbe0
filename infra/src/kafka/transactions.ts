import { setTimeout as sleep } from "node:timers/promises";
import { SpanKind, context, trace } from "@opentelemetry/api";
import type { Kafka } from "kafkajs";
import {
  COORDINATOR_TYPE,
  createCluster,
  defaultPartitioner,
  type KafkajsBroker,
  type KafkajsCluster,
  type KafkajsMessage,
  sendProduceBody,
} from "./kafkajs-internals.ts";
import { encodeProduceBody, encodeRecordBatch } from "./record-batch.ts";
import { withTraceHeaders } from "./producer.ts";
import type { OutgoingRecord } from "./records.ts";

// Transactional producer for consume-transform-produce (the matcher).
// kafkajs has no KIP-447 (fencing by consumer-group generation), so use one
// transactional id per input partition: a new owner of the partition uses the
// same id and fences the old one. See transactionalIdFor.
//
// The protocol is driven here on kafkajs's Cluster/Broker (ADR 091), not by
// kafkajs's producer: coordinators are looked up once (again only when one
// moves), and a transaction whose content is known (`commit`) overlaps what
// the protocol allows — AddPartitionsToTxn with AddOffsetsToTxn, the produce
// requests with TxnOffsetCommit — so it costs 3 round trips, not 9.

const tracer = () => trace.getTracer("@fxcore/infra/kafka");

export interface OffsetToCommit {
  readonly topic: string;
  readonly partition: number;
  /** The next offset to read, i.e. last processed offset + 1. */
  readonly offset: string;
}

export interface TransactionScope {
  send(topic: string, records: readonly OutgoingRecord[]): Promise<void>;
  /** Commits consumer offsets as part of this transaction. */
  sendOffsets(consumerGroupId: string, offsets: readonly OffsetToCommit[]): Promise<void>;
}

/** A whole transaction, known up front. */
export interface TransactionContent {
  /** Each entry goes out as one record batch per partition: keep it under the topic's max.message.bytes. */
  readonly sends: ReadonlyArray<{
    readonly topic: string;
    readonly records: readonly OutgoingRecord[];
  }>;
  readonly offsets?: { readonly groupId: string; readonly offsets: readonly OffsetToCommit[] };
}

export interface TransactionalProducer {
  readonly transactionalId: string;
  /** Runs `fn` in one transaction: commit when it returns, abort when it throws. */
  transaction<T>(fn: (tx: TransactionScope) => Promise<T>): Promise<T>;
  /** One transaction of known content, its requests overlapped; rejects (and aborts) on failure. */
  commit(content: TransactionContent): Promise<void>;
  /** Cumulative timings of `commit` (a live object). */
  readonly stats: Readonly<TransactionStats>;
  /** Looks up (and connects to) what transactions to these topics and this group will need, so the first one does not pay for it. */
  warmUp(topics: readonly string[], groupId?: string): Promise<void>;
  disconnect(): Promise<void>;
}

/** Where `commit`'s time went, summed over its committed transactions (for metrics and benches). */
export interface TransactionStats {
  transactions: number;
  /** AddPartitionsToTxn + AddOffsetsToTxn, CONCURRENT_TRANSACTIONS retries included. */
  registerMs: number;
  /** Produce requests and TxnOffsetCommit. */
  writeMs: number;
  /** EndTxn. */
  endMs: number;
  /** Requests answered CONCURRENT_TRANSACTIONS (the previous commit's markers still being written). */
  concurrentRetries: number;
}

/** One transactional id per input partition, stable across restarts and owners. */
export function transactionalIdFor(prefix: string, topic: string, partition: number): string {
  return `${prefix}.${topic}.${partition}`;
}

/**
 * Registers the transactional id at once (InitProducerId): creating the
 * producer fences any older owner of this id and aborts its open transaction.
 */
export async function createTransactionalProducer(
  kafka: Kafka,
  options: { transactionalId: string; transactionTimeoutMs?: number },
): Promise<TransactionalProducer> {
  const session = new TransactionSession(
    createCluster(kafka),
    options.transactionalId,
    options.transactionTimeoutMs ?? 60_000,
  );
  try {
    await session.init();
  } catch (err) {
    await session.close().catch(() => {});
    throw err;
  }
  let queue: Promise<unknown> = Promise.resolve();
  // One transaction at a time per id: the protocol allows no more.
  const serial = <T>(run: () => Promise<T>): Promise<T> => {
    const next = queue.then(run, run);
    queue = next.catch(() => {});
    return next;
  };
  return {
    transactionalId: options.transactionalId,
    stats: session.stats,
    transaction: (fn) => serial(() => session.transaction(fn)),
    commit: (content) => serial(() => session.commit(content)),
    warmUp: (topics, groupId) => serial(() => session.warmUp(topics, groupId)),
    disconnect: () => serial(() => session.close()),
  };
}

interface PartitionBatch {
  readonly topic: string;
  readonly partition: number;
  readonly messages: readonly KafkajsMessage[];
}

/** Errors after which the same request may succeed (a commit's markers still being written, a coordinator loading). */
const RETRY_SAME = new Set(["CONCURRENT_TRANSACTIONS", "GROUP_LOAD_IN_PROGRESS"]);
/** Errors that mean the coordinator moved: look it up again and retry. */
const RETRY_ELSEWHERE = new Set(["NOT_COORDINATOR_FOR_GROUP", "GROUP_COORDINATOR_NOT_AVAILABLE"]);

class TransactionSession {
  readonly stats: TransactionStats = {
    transactions: 0,
    registerMs: 0,
    writeMs: 0,
    endMs: 0,
    concurrentRetries: 0,
  };
  private producerId: string | number = -1;
  private producerEpoch = 0;
  private readonly sequences = new Map<string, number>();
  private coordinator: KafkajsBroker | undefined;
  private readonly groupCoordinators = new Map<string, KafkajsBroker>();
  private readonly knownTopics = new Set<string>();
  private readonly partitioner = defaultPartitioner();
  /** Set once a request's outcome is unknown (or the id was fenced): the session cannot go on. */
  private broken: Error | undefined;
  /** Partitions and groups already added to the open transaction. */
  private readonly added = new Set<string>();
  private offsetsAdded = false;

  private readonly cluster: KafkajsCluster;
  private readonly transactionalId: string;
  private readonly transactionTimeout: number;

  constructor(cluster: KafkajsCluster, transactionalId: string, transactionTimeout: number) {
    this.cluster = cluster;
    this.transactionalId = transactionalId;
    this.transactionTimeout = transactionTimeout;
  }

  async init(): Promise<void> {
    await this.cluster.connect();
    await this.cluster.refreshMetadata();
    const result = await this.onCoordinator((c) =>
      c.initProducerId({
        transactionalId: this.transactionalId,
        transactionTimeout: this.transactionTimeout,
      }),
    );
    this.producerId = result.producerId;
    this.producerEpoch = result.producerEpoch;
    this.sequences.clear();
  }

  async warmUp(topics: readonly string[], groupId: string | undefined): Promise<void> {
    for (const topic of topics) {
      if (!this.knownTopics.has(topic)) {
        await this.cluster.addTargetTopic(topic);
        this.knownTopics.add(topic);
      }
      const partitions = this.cluster.findTopicPartitionMetadata(topic).map((p) => p.partitionId);
      const leaders = Object.keys(this.cluster.findLeaderForPartitions(topic, partitions));
      await Promise.all(leaders.map((nodeId) => this.cluster.findBroker({ nodeId })));
    }
    if (groupId !== undefined && !this.groupCoordinators.has(groupId))
      this.groupCoordinators.set(
        groupId,
        await this.cluster.findGroupCoordinator({
          groupId,
          coordinatorType: COORDINATOR_TYPE.GROUP,
        }),
      );
  }

  async close(): Promise<void> {
    await this.cluster.disconnect();
  }

  async transaction<T>(fn: (tx: TransactionScope) => Promise<T>): Promise<T> {
    this.begin();
    try {
      const result = await fn({
        send: async (topic, records) => {
          const batches = await this.partitionBatches(topic, records);
          await this.addPartitions(batches);
          await this.produce([batches]);
        },
        sendOffsets: async (groupId, offsets) => {
          await this.addOffsets(groupId);
          await this.commitOffsets(groupId, offsets);
        },
      });
      await this.end(true);
      return result;
    } catch (err) {
      await this.abortQuietly();
      throw err;
    }
  }

  async commit(content: TransactionContent): Promise<void> {
    this.begin();
    try {
      const sends = await Promise.all(
        content.sends.map((s) => this.partitionBatches(s.topic, s.records)),
      );
      const offsets = content.offsets;
      // Both go to the transaction coordinator and only register what the
      // transaction touches; their order does not matter.
      const registered = Promise.all([
        this.addPartitions(sends.flat()),
        offsets === undefined ? undefined : this.addOffsets(offsets.groupId),
      ]);
      const produced = registered.then(() => this.produce(sends));
      const committed =
        offsets === undefined
          ? undefined
          : registered.then(() => this.commitOffsets(offsets.groupId, offsets.offsets));
      const t0 = performance.now();
      await registered;
      const t1 = performance.now();
      await Promise.all([produced, committed]);
      const t2 = performance.now();
      await this.end(true);
      const st = this.stats;
      st.transactions++;
      st.registerMs += t1 - t0;
      st.writeMs += t2 - t1;
      st.endMs += performance.now() - t2;
    } catch (err) {
      await this.abortQuietly();
      throw err;
    }
  }

  private begin(): void {
    if (this.broken !== undefined) throw this.broken;
    this.added.clear();
    this.offsetsAdded = false;
  }

  private async end(commit: boolean): Promise<void> {
    if (this.added.size === 0 && !this.offsetsAdded) return; // nothing registered: no EndTxn
    await this.onCoordinator((c) =>
      c.endTxn({
        transactionalId: this.transactionalId,
        producerId: this.producerId,
        producerEpoch: this.producerEpoch,
        transactionResult: commit,
      }),
    );
    this.added.clear();
    this.offsetsAdded = false;
  }

  private async abortQuietly(): Promise<void> {
    if (this.broken !== undefined) return;
    try {
      await this.end(false);
    } catch (err) {
      // The transaction is in an unknown state: a new producer (InitProducerId) must take over.
      this.broken = err as Error;
    }
  }

  /** Groups records per partition (given, or by the default partitioner on the key). */
  private async partitionBatches(
    topic: string,
    records: readonly OutgoingRecord[],
  ): Promise<PartitionBatch[]> {
    if (!this.knownTopics.has(topic)) {
      await this.cluster.addTargetTopic(topic);
      this.knownTopics.add(topic);
    }
    const span = tracer().startSpan(`${topic} publish`, {
      kind: SpanKind.PRODUCER,
      attributes: {
        "messaging.system": "kafka",
        "messaging.destination.name": topic,
        "messaging.batch.message_count": records.length,
      },
    });
    const traced = withTraceHeaders(records, trace.setSpan(context.active(), span));
    span.end();
    // The usual case (the matcher): every record names the same partition.
    const first = traced[0]?.partition;
    if (first !== undefined && traced.every((r) => r.partition === first))
      return [{ topic, partition: first, messages: traced }];
    const byPartition = new Map<number, KafkajsMessage[]>();
    let metadata: ReturnType<KafkajsCluster["findTopicPartitionMetadata"]> | undefined;
    for (const r of traced) {
      let p = r.partition;
      if (p === undefined) {
        metadata ??= this.cluster.findTopicPartitionMetadata(topic);
        p = this.partitioner({ topic, partitionMetadata: metadata, message: r });
      }
      const list = byPartition.get(p);
      if (list === undefined) byPartition.set(p, [r]);
      else list.push(r);
    }
    return [...byPartition].map(([partition, messages]) => ({ topic, partition, messages }));
  }

  private async addPartitions(batches: readonly PartitionBatch[]): Promise<void> {
    const fresh = new Map<string, number[]>();
    for (const b of batches) {
      const key = `${b.topic}\u0000${b.partition}`;
      if (this.added.has(key)) continue;
      this.added.add(key);
      const list = fresh.get(b.topic);
      if (list === undefined) fresh.set(b.topic, [b.partition]);
      else if (!list.includes(b.partition)) list.push(b.partition);
    }
    if (fresh.size === 0) return;
    const topics = [...fresh].map(([topic, partitions]) => ({ topic, partitions }));
    await this.onCoordinator((c) =>
      c.addPartitionsToTxn({
        transactionalId: this.transactionalId,
        producerId: this.producerId,
        producerEpoch: this.producerEpoch,
        topics,
      }),
    );
  }

  private async addOffsets(groupId: string): Promise<void> {
    this.offsetsAdded = true;
    await this.onCoordinator((c) =>
      c.addOffsetsToTxn({
        transactionalId: this.transactionalId,
        producerId: this.producerId,
        producerEpoch: this.producerEpoch,
        groupId,
      }),
    );
  }

  private async commitOffsets(groupId: string, offsets: readonly OffsetToCommit[]): Promise<void> {
    const byTopic = new Map<string, { partition: number; offset: string }[]>();
    for (const o of offsets) {
      const list = byTopic.get(o.topic) ?? [];
      list.push({ partition: o.partition, offset: o.offset });
      byTopic.set(o.topic, list);
    }
    const topics = [...byTopic].map(([topic, partitions]) => ({ topic, partitions }));
    await this.withRetry(
      async () => {
        let broker = this.groupCoordinators.get(groupId);
        if (broker === undefined) {
          broker = await this.cluster.findGroupCoordinator({
            groupId,
            coordinatorType: COORDINATOR_TYPE.GROUP,
          });
          this.groupCoordinators.set(groupId, broker);
        }
        return broker.txnOffsetCommit({
          transactionalId: this.transactionalId,
          groupId,
          producerId: this.producerId,
          producerEpoch: this.producerEpoch,
          topics,
        });
      },
      () => this.groupCoordinators.delete(groupId),
    );
  }

  /**
   * Produces each send as one record batch per partition and one request per
   * leader. A leader's requests are written back to back, in send order (the
   * broker handles a connection's requests one after another, so their
   * sequence numbers arrive in order) and awaited together. A failed produce
   * leaves its outcome unknown: the session is broken.
   */
  private async produce(sends: readonly (readonly PartitionBatch[])[]): Promise<void> {
    // The k-th batch of a partition goes into the leader's k-th request: as
    // few requests as the partition with the most batches needs.
    const byLeader = new Map<string, PartitionBatch[][]>();
    const seen = new Map<string, number>();
    for (const batches of sends) {
      for (const b of batches) {
        const key = `${b.topic}\u0000${b.partition}`;
        const round = seen.get(key) ?? 0;
        seen.set(key, round + 1);
        const leaders = this.cluster.findLeaderForPartitions(b.topic, [b.partition]);
        const leader = Object.keys(leaders)[0];
        if (leader === undefined) throw new Error(`no leader for ${b.topic}/${b.partition}`);
        let rounds = byLeader.get(leader);
        if (rounds === undefined) {
          rounds = [];
          byLeader.set(leader, rounds);
        }
        const list = rounds[round];
        if (list === undefined) rounds[round] = [b];
        else list.push(b);
      }
    }
    try {
      const brokers = await Promise.all(
        [...byLeader.keys()].map((nodeId) => this.cluster.findBroker({ nodeId })),
      );
      const now = Date.now();
      const requests: Promise<void>[] = [];
      [...byLeader.values()].forEach((rounds, i) => {
        for (const list of rounds) {
          if (list === undefined) continue;
          requests.push(sendProduceBody(brokers[i]!, this.produceBody(list, now)));
        }
      });
      await Promise.all(requests);
    } catch (err) {
      this.broken = err as Error;
      throw err;
    }
  }

  /** One Produce request body: a record batch per partition, sequence numbers taken in order. */
  private produceBody(list: readonly PartitionBatch[], now: number): Buffer {
    const byTopic = new Map<string, { partition: number; batch: Buffer }[]>();
    for (const b of list) {
      const seqKey = `${b.topic}\u0000${b.partition}`;
      const baseSequence = this.sequences.get(seqKey) ?? 0;
      // Int32 sequence wraps to 0, as the broker expects.
      this.sequences.set(seqKey, (baseSequence + b.messages.length) % 2 ** 31);
      const batch = encodeRecordBatch(
        {
          producerId: this.producerId,
          producerEpoch: this.producerEpoch,
          baseSequence,
          transactional: true,
          now,
        },
        b.messages,
      );
      const t = byTopic.get(b.topic);
      if (t === undefined) byTopic.set(b.topic, [{ partition: b.partition, batch }]);
      else t.push({ partition: b.partition, batch });
    }
    return encodeProduceBody(
      this.transactionalId,
      -1,
      30_000,
      [...byTopic].map(([topic, partitions]) => ({ topic, partitions })),
    );
  }

  /** A request to the transaction coordinator, found once and again only when it moved. */
  private onCoordinator<T>(request: (coordinator: KafkajsBroker) => Promise<T>): Promise<T> {
    return this.withRetry(
      async () => {
        this.coordinator ??= await this.cluster.findGroupCoordinator({
          groupId: this.transactionalId,
          coordinatorType: COORDINATOR_TYPE.TRANSACTION,
        });
        return request(this.coordinator);
      },
      () => {
        this.coordinator = undefined;
      },
    );
  }

  /**
   * Retries CONCURRENT_TRANSACTIONS (the previous commit's markers are still
   * being written: a few ms, so the first retries come after 1-2 ms) and a
   * loading or moved coordinator, for about 20 s in all.
   */
  private async withRetry<T>(request: () => Promise<T>, forgetCoordinator: () => void): Promise<T> {
    const deadline = performance.now() + 20_000;
    for (let attempt = 0; ; attempt++) {
      try {
        return await request();
      } catch (err) {
        const type = errorType(err);
        const elsewhere = type !== undefined && RETRY_ELSEWHERE.has(type);
        if (elsewhere) forgetCoordinator();
        if (
          !(elsewhere || (type !== undefined && RETRY_SAME.has(type))) ||
          performance.now() > deadline
        ) {
          if (type === "INVALID_PRODUCER_EPOCH" || type === "PRODUCER_FENCED")
            this.broken = err as Error;
          throw err;
        }
        if (type === "CONCURRENT_TRANSACTIONS") this.stats.concurrentRetries++;
        await sleep(Math.min(1 + attempt * attempt, 50));
      }
    }
  }
}

function errorType(err: unknown): string | undefined {
  for (
    let e = err as { type?: string; cause?: unknown; originalError?: unknown } | undefined, d = 0;
    e && d < 5;
    d++
  ) {
    if (typeof e.type === "string") return e.type;
    e = (e.originalError ?? e.cause) as typeof e;
  }
  return undefined;
}

/**
 * The coordinator answers CONCURRENT_TRANSACTIONS while the previous
 * transaction's markers are still being written; retry it with a short backoff.
 */
export async function retryConcurrentTransactions<T>(
  fn: () => Promise<T>,
  attempts = 20,
): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (i >= attempts || errorType(err) !== "CONCURRENT_TRANSACTIONS") throw err;
      await sleep(Math.min(20 * 2 ** i, 500));
    }
  }
}
