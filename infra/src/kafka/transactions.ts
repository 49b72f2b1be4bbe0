import { setTimeout as sleep } from "node:timers/promises";
import type { Kafka, Producer, RecordMetadata } from "kafkajs";
import { sendTraced } from "./producer.ts";
import type { OutgoingRecord } from "./records.ts";

// Transactional producer for consume-transform-produce (the matcher).
// kafkajs has no KIP-447 (fencing by consumer-group generation), so use one
// transactional id per input partition: a new owner of the partition uses the
// same id and fences the old one. See transactionalIdFor.

export interface OffsetToCommit {
  readonly topic: string;
  readonly partition: number;
  /** The next offset to read, i.e. last processed offset + 1. */
  readonly offset: string;
}

export interface TransactionScope {
  send(topic: string, records: readonly OutgoingRecord[]): Promise<RecordMetadata[]>;
  /** Commits consumer offsets as part of this transaction. */
  sendOffsets(consumerGroupId: string, offsets: readonly OffsetToCommit[]): Promise<void>;
}

export interface TransactionalProducer {
  readonly transactionalId: string;
  /** Runs `fn` in one transaction: commit when it returns, abort when it throws. */
  transaction<T>(fn: (tx: TransactionScope) => Promise<T>): Promise<T>;
  disconnect(): Promise<void>;
  readonly raw: Producer;
}

/** One transactional id per input partition, stable across restarts and owners. */
export function transactionalIdFor(prefix: string, topic: string, partition: number): string {
  return `${prefix}.${topic}.${partition}`;
}

export async function createTransactionalProducer(
  kafka: Kafka,
  options: { transactionalId: string; transactionTimeoutMs?: number },
): Promise<TransactionalProducer> {
  const raw = kafka.producer({
    transactionalId: options.transactionalId,
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    transactionTimeout: options.transactionTimeoutMs ?? 60_000,
  });
  await raw.connect();
  // kafkajs registers the transactional id (InitProducerId) lazily, at the
  // first transaction. Do it now with an empty transaction, so creating the
  // producer fences any older owner of this id at once, not on first use.
  const init = await retryConcurrentTransactions(() => raw.transaction());
  await init.abort();
  return {
    transactionalId: options.transactionalId,
    raw,
    disconnect: () => raw.disconnect(),
    async transaction<T>(fn: (tx: TransactionScope) => Promise<T>): Promise<T> {
      const txn = await retryConcurrentTransactions(() => raw.transaction());
      try {
        const result = await fn({
          send: (topic, records) => sendTraced(txn, topic, records),
          sendOffsets: (consumerGroupId, offsets) =>
            retryConcurrentTransactions(() =>
              txn.sendOffsets({ consumerGroupId, topics: groupByTopic(offsets) }),
            ),
        });
        await txn.commit();
        return result;
      } catch (err) {
        if (txn.isActive()) await txn.abort().catch(() => {});
        throw err;
      }
    },
  };
}

function groupByTopic(offsets: readonly OffsetToCommit[]) {
  const byTopic = new Map<string, { partition: number; offset: string }[]>();
  for (const o of offsets) {
    const list = byTopic.get(o.topic) ?? [];
    list.push({ partition: o.partition, offset: o.offset });
    byTopic.set(o.topic, list);
  }
  return [...byTopic].map(([topic, partitions]) => ({ topic, partitions }));
}

/**
 * The coordinator answers CONCURRENT_TRANSACTIONS while the previous
 * transaction's markers are still being written; kafkajs does not retry it on
 * AddOffsetsToTxn, so we do, with a short backoff.
 */
export async function retryConcurrentTransactions<T>(
  fn: () => Promise<T>,
  attempts = 20,
): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (i >= attempts || !isConcurrentTransactions(err)) throw err;
      await sleep(Math.min(20 * 2 ** i, 500));
    }
  }
}

function isConcurrentTransactions(err: unknown): boolean {
  for (
    let e = err as { type?: string; cause?: unknown; originalError?: unknown } | undefined, d = 0;
    e && d < 5;
    d++
  ) {
    if (e.type === "CONCURRENT_TRANSACTIONS") return true;
    e = (e.originalError ?? e.cause) as typeof e;
  }
  return false;
}
