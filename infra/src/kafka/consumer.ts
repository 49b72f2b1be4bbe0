import { type Context, context, SpanKind, trace } from "@opentelemetry/api";
import type { Consumer, ConsumerConfig, Kafka } from "kafkajs";
import type { Logger } from "../logger/logger.ts";
import { extractTraceContext } from "../telemetry/trace-context.ts";
import { DEFAULT_DLQ_TOPIC, type DeadLetterSink, sendToDeadLetter } from "./dead-letter.ts";
import { createProducer, type FxProducer } from "./producer.ts";
import { type ConsumedRecord, consumedRecord } from "./records.ts";

// The consumer loop every service uses: decode each record; a record that does
// not decode goes to the dead-letter topic (with the reason) and the loop
// moves on; a decoded one goes to the handler inside the trace context that
// arrived in its headers. Offsets are committed only after the handler (or the
// dead-letter write) finished, so nothing is skipped on a crash.

// Looked up per use: a tracer taken at import time would stay a no-op when the
// SDK registers later through another copy of @opentelemetry/api.
const tracer = () => trace.getTracer("@fxcore/infra/kafka");

export type DecodeResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly reason: string };

export interface Delivery<T> {
  readonly value: T;
  readonly record: ConsumedRecord;
  /** The producer's trace context (also active while the handler runs, when the SDK is started). */
  readonly traceContext: Context;
}

export interface ConsumerLoopOptions<T> {
  readonly groupId: string;
  readonly topics: readonly string[];
  /** A rejection (ok: false) or a throw both route the record to the dead-letter topic. */
  readonly decode: (record: ConsumedRecord) => DecodeResult<T> | Promise<DecodeResult<T>>;
  /** Throwing here is not a poison record: the error propagates and kafkajs retries the record. */
  readonly handle: (delivery: Delivery<T>) => Promise<void>;
  /** Default true. New groups start at the earliest offset. */
  readonly fromBeginning?: boolean;
  /** Default true: only committed transactional records are seen. */
  readonly readCommitted?: boolean;
  readonly deadLetter?: { readonly topic?: string; readonly sink?: DeadLetterSink };
  readonly logger?: Logger;
  readonly consumerConfig?: Partial<ConsumerConfig>;
}

export interface RunningConsumer {
  /** Resolves once the consumer has joined its group and got its partitions. */
  readonly joined: Promise<void>;
  stop(): Promise<void>;
  readonly raw: Consumer;
}

/** A kafkajs consumer with our defaults, for loops the wrapper does not cover (e.g. transactional batches). */
export function createConsumer(
  kafka: Kafka,
  options: { groupId: string; readCommitted?: boolean } & Partial<ConsumerConfig>,
): Consumer {
  const { readCommitted = true, ...rest } = options;
  return kafka.consumer({
    sessionTimeout: 30_000,
    heartbeatInterval: 3000,
    allowAutoTopicCreation: false,
    // A fetch returns as soon as data arrives; this only bounds idle polls
    // (and how long disconnect waits for one).
    maxWaitTimeInMs: 500,
    ...rest,
    readUncommitted: !readCommitted,
  });
}

export async function runConsumer<T>(
  kafka: Kafka,
  options: ConsumerLoopOptions<T>,
): Promise<RunningConsumer> {
  const consumer = createConsumer(kafka, {
    groupId: options.groupId,
    readCommitted: options.readCommitted ?? true,
    ...options.consumerConfig,
  });
  const ownProducer: FxProducer | undefined = options.deadLetter?.sink
    ? undefined
    : await createProducer(kafka);
  const sink: DeadLetterSink = options.deadLetter?.sink ?? ownProducer!;
  const dlqTopic = options.deadLetter?.topic ?? DEFAULT_DLQ_TOPIC;
  let markJoined: () => void = () => {};
  const joined = new Promise<void>((resolve) => {
    markJoined = resolve;
  });
  consumer.on(consumer.events.GROUP_JOIN, () => markJoined());

  await consumer.connect();
  for (const topic of options.topics) {
    await consumer.subscribe({ topic, fromBeginning: options.fromBeginning ?? true });
  }
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      const record = consumedRecord(topic, partition, message);
      const parent = extractTraceContext(record.headers);
      await tracer().startActiveSpan(
        `${topic} process`,
        {
          kind: SpanKind.CONSUMER,
          attributes: {
            "messaging.system": "kafka",
            "messaging.destination.name": topic,
            "messaging.kafka.destination.partition": partition,
            "messaging.kafka.message.offset": record.offset,
            "messaging.consumer.group.name": options.groupId,
          },
        },
        parent,
        async (span) => {
          try {
            const decoded = await decodeSafely(options.decode, record);
            if (!decoded.ok) {
              options.logger?.warn(
                { topic, partition, offset: record.offset, reason: decoded.reason, dlq: dlqTopic },
                "undecodable record sent to the dead-letter topic",
              );
              span.setAttribute("fx.dead_lettered", true);
              await sendToDeadLetter(sink, record, decoded.reason, {
                consumerGroup: options.groupId,
                topic: dlqTopic,
              });
              return;
            }
            await options.handle({ value: decoded.value, record, traceContext: context.active() });
          } catch (err) {
            span.recordException(err as Error);
            throw err;
          } finally {
            span.end();
          }
        },
      );
    },
  });
  return {
    joined,
    raw: consumer,
    async stop() {
      await consumer.disconnect();
      await ownProducer?.disconnect();
    },
  };
}

async function decodeSafely<T>(
  decode: ConsumerLoopOptions<T>["decode"],
  record: ConsumedRecord,
): Promise<DecodeResult<T>> {
  try {
    return await decode(record);
  } catch (err) {
    // A dependency that is down (e.g. the schema registry) says nothing about
    // the record: let kafkajs retry it instead of dead-lettering a good record.
    if ((err as { retryable?: unknown })?.retryable === true) throw err;
    return {
      ok: false,
      reason: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
    };
  }
}
