// The imperative shell around projectBatch: a read_committed consumer of
// fx.orders + fx.executions whose positions live in Postgres, not Kafka.
// On every partition assignment it seeks to the offsets stored with the read
// models; each batch commits its changes and its next offset in one
// transaction. Kafka's own committed offsets are only a hint.
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
  type DecodedEvent,
  type ProjectorOptions,
  projectBatch,
} from "../projector/project-batch.ts";

export const PROJECTION_TOPICS = ["fx.orders", "fx.executions"] as const;

export interface ProjectionConsumerOptions {
  readonly kafka: Kafka;
  readonly pool: PgPool;
  readonly groupId: string;
  readonly topics?: readonly string[];
  readonly decode: (record: ConsumedRecord) => Promise<DecodeResult<DecodedEvent>>;
  readonly projector: ProjectorOptions;
  readonly logger?: Logger;
  readonly dlqTopic?: string;
  /** Events per Postgres transaction: a fetched batch is projected in chunks of at most this many (default 2000). */
  readonly maxEventsPerTransaction?: number;
  /** How long a dead member (kill -9) holds its partitions before the group moves on. */
  readonly sessionTimeoutMs?: number;
  /** Called after each committed batch (metrics, SSE fan-out). */
  readonly onBatch?: (info: {
    topic: string;
    partition: number;
    size: number;
    lag: bigint;
    result: BatchResult;
  }) => void;
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

export async function startProjectionConsumer(
  o: ProjectionConsumerOptions,
): Promise<ProjectionConsumer> {
  const consumer = createConsumer(o.kafka, {
    groupId: o.groupId,
    readCommitted: true,
    maxBytesPerPartition: 4 << 20,
  });
  const producer: FxProducer = await createProducer(o.kafka);
  const schema = o.projector.schema;
  let stored = new Map<string, bigint>();
  let markJoined: () => void = () => {};
  const joined = new Promise<void>((r) => {
    markJoined = r;
  });
  consumer.on(consumer.events.GROUP_JOIN, async (e) => {
    stored = await storedOffsets(o.pool, schema);
    for (const [topic, partitions] of Object.entries(e.payload.memberAssignment)) {
      for (const partition of partitions) {
        const next = stored.get(`${topic}/${partition}`);
        if (next !== undefined) consumer.seek({ topic, partition, offset: next.toString() });
      }
    }
    markJoined();
  });
  await consumer.connect();
  for (const topic of o.topics ?? PROJECTION_TOPICS)
    await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachBatchAutoResolve: true,
    eachBatch: async ({ batch, heartbeat, isRunning, isStale }) => {
      const { topic, partition } = batch;
      const key = `${topic}/${partition}`;
      const chunk = o.maxEventsPerTransaction ?? 2_000;
      for (let i = 0; i < batch.messages.length; i += chunk) {
        if (!isRunning() || isStale()) return;
        const messages = batch.messages.slice(i, i + chunk);
        const floor = stored.get(key) ?? 0n;
        const events: DecodedEvent[] = [];
        for (const m of messages) {
          if (BigInt(m.offset) < floor) continue; // before the stored position: already in the read models
          const record = consumedRecord(topic, partition, m);
          const d = await o
            .decode(record)
            .catch((err: unknown) => ({ ok: false as const, reason: String(err) }));
          if (d.ok) events.push(d.value);
          else {
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
        const last = messages[messages.length - 1];
        if (last === undefined) continue;
        const nextOffset = BigInt(last.offset) + 1n;
        if (nextOffset <= floor) continue;
        const result = await projectBatch(o.pool, o.projector, {
          source: { topic, partition, nextOffset },
          events,
        });
        stored.set(key, nextOffset);
        await heartbeat();
        o.onBatch?.({
          topic,
          partition,
          size: messages.length,
          lag: BigInt(batch.highWatermark) - nextOffset,
          result,
        });
      }
    },
  });
  return {
    joined,
    async stop() {
      await consumer.disconnect();
      await producer.disconnect();
    },
  };
}
