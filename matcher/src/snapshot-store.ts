import { randomUUID } from "node:crypto";
import { promisify } from "node:util";
import { gunzipSync, gzip } from "node:zlib";
import type { Admin, Kafka } from "kafkajs";
import { createConsumer, type Logger, type OutgoingRecord } from "@fxcore/infra";
import {
  decodePartitionSnapshot,
  encodePartitionSnapshot,
  type PartitionSnapshot,
  snapshotKey,
} from "./partition-snapshot.ts";

// Snapshots live in the compacted topic fx.snapshots, one key per input
// partition, written inside the same Kafka transaction as the outputs and the
// consumed offsets: a snapshot is never ahead of what was committed.

export { snapshotKey };

const gzipAsync = promisify(gzip);

/**
 * The record to add to a transaction (snapshot partition = input partition),
 * gzip-compressed (on libuv's thread pool, off the event loop); undefined when
 * even compressed it exceeds `maxBytes` (the topic's max.message.bytes): a
 * snapshot that cannot be written must not stall the partition, recovery then
 * simply replays from an older one.
 */
export async function snapshotRecord(
  inputTopic: string,
  partition: number,
  snapshot: PartitionSnapshot,
  maxBytes: number,
): Promise<OutgoingRecord | undefined> {
  const value = await gzipAsync(encodePartitionSnapshot(snapshot), { level: 1 });
  if (value.length > maxBytes) return undefined;
  return { key: snapshotKey(inputTopic, partition), value, partition };
}

/** Raw or gzip-compressed snapshot bytes back to the snapshot format's bytes. */
function uncompressed(value: Buffer): Buffer {
  return value[0] === 0x1f && value[1] === 0x8b ? gunzipSync(value) : value;
}

/**
 * The latest committed snapshot for an input partition, or undefined. Reads the
 * snapshot partition to its high watermark with a throwaway consumer group
 * (kafkajs cannot assign partitions by hand). Call it after the partition's
 * transactional producer connected: that fenced any zombie and aborted its
 * open transaction, so the read-committed end is the high watermark.
 */
export async function loadLatestSnapshot(options: {
  kafka: Kafka;
  admin: Admin;
  snapshotTopic: string;
  inputTopic: string;
  partition: number;
  logger?: Logger;
  timeoutMs?: number;
}): Promise<PartitionSnapshot | undefined> {
  const { kafka, admin, snapshotTopic, partition } = options;
  const offsets = await admin.fetchTopicOffsets(snapshotTopic);
  const p = offsets.find((o) => o.partition === partition);
  if (p === undefined) throw new Error(`${snapshotTopic} has no partition ${partition}`);
  const high = BigInt(p.high);
  if (high === BigInt(p.low)) return undefined;

  const key = snapshotKey(options.inputTopic, partition);
  const consumer = createConsumer(kafka, {
    groupId: `fxcore.snapshot-loader.${randomUUID()}`,
    readCommitted: true,
  });
  let latest: Buffer | undefined;
  try {
    await consumer.connect();
    await consumer.subscribe({ topic: snapshotTopic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`timed out reading ${snapshotTopic}[${partition}] to ${high}`)),
        options.timeoutMs ?? 30_000,
      );
      // END_BATCH_PROCESS fires for data batches and for batches of only
      // transaction markers, so it tells when the partition's end was reached.
      consumer.on(consumer.events.END_BATCH_PROCESS, (e) => {
        if (e.payload.partition === partition && BigInt(e.payload.lastOffset) >= high - 1n) {
          clearTimeout(timer);
          resolve();
        }
      });
      consumer
        .run({
          eachBatch: async ({ batch }) => {
            if (batch.partition !== partition) return;
            for (const m of batch.messages) {
              if (m.key?.toString() === key && m.value !== null) latest = m.value;
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect().catch(() => {});
  }
  if (latest === undefined) return undefined;
  let raw: Buffer;
  try {
    raw = uncompressed(latest);
  } catch (err) {
    options.logger?.error({ partition, err }, "snapshot not gunzippable, ignoring it");
    return undefined;
  }
  const decoded = decodePartitionSnapshot(raw);
  if (!decoded.ok) {
    // A damaged snapshot cannot be trusted; replaying from the start is always correct.
    options.logger?.error(
      { partition, reason: decoded.error.reason },
      "snapshot unreadable, ignoring it",
    );
    return undefined;
  }
  return decoded.value;
}
