import { type Context, SpanKind, context, trace } from "@opentelemetry/api";
import type { Kafka, Producer, RecordMetadata } from "kafkajs";
import { injectTraceContext } from "../telemetry/trace-context.ts";
import { headerValue, type OutgoingRecord } from "./records.ts";

// The producer every service uses: idempotent, acks=all, one request in
// flight (kafkajs needs that for idempotence to keep order across retries).
// The active trace context rides along in each record's headers.

// Looked up per use: a tracer taken at import time would stay a no-op when the
// SDK registers later through another copy of @opentelemetry/api.
const tracer = () => trace.getTracer("@fxcore/infra/kafka");

export interface FxProducer {
  send(topic: string, records: readonly OutgoingRecord[]): Promise<RecordMetadata[]>;
  disconnect(): Promise<void>;
  /** The kafkajs producer, for what the wrapper does not cover. */
  readonly raw: Producer;
}

export async function createProducer(kafka: Kafka): Promise<FxProducer> {
  const raw = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
  });
  await raw.connect();
  return {
    raw,
    send: (topic, records) => sendTraced(raw, topic, records),
    disconnect: () => raw.disconnect(),
  };
}

/**
 * Records with the trace context of `ctx` in their headers. A record that
 * already carries a trace (e.g. relayed from the outbox) keeps it; with no
 * valid span in `ctx` (no SDK) there is nothing to add and nothing is copied.
 */
export function withTraceHeaders(
  records: readonly OutgoingRecord[],
  ctx: Context,
): readonly OutgoingRecord[] {
  const span = trace.getSpanContext(ctx);
  if (span === undefined || !trace.isSpanContextValid(span)) return records;
  return records.map((r) =>
    headerValue(r.headers, "traceparent") !== undefined
      ? r
      : { ...r, headers: injectTraceContext({ ...(r.headers ?? {}) }, ctx) },
  );
}

/** Sends with acks=all inside a PRODUCER span whose context goes into the headers. */
export function sendTraced(
  producer: Pick<Producer, "send">,
  topic: string,
  records: readonly OutgoingRecord[],
): Promise<RecordMetadata[]> {
  return tracer().startActiveSpan(
    `${topic} publish`,
    {
      kind: SpanKind.PRODUCER,
      attributes: {
        "messaging.system": "kafka",
        "messaging.destination.name": topic,
        "messaging.batch.message_count": records.length,
      },
    },
    async (span) => {
      try {
        const messages = withTraceHeaders(records, context.active());
        return await producer.send({ topic, acks: -1, messages: [...messages] });
      } catch (err) {
        span.recordException(err as Error);
        throw err;
      } finally {
        span.end();
      }
    },
  );
}
