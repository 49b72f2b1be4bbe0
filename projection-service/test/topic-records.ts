// Session events as Confluent-framed Avro records on fx.orders / fx.executions,
// with the metadata the outbox relay and the matcher set. No test-runner
// imports: bench:projection uses it too.
import type { Serde } from "@fxcore/schemas";
import type { EventEnvelope } from "../src/models/envelope.ts";

/** Matcher outputs (no event-store position) go to the executions topic, the rest to orders. */
export const isMatcherEvent = (e: EventEnvelope): boolean => e.position === null;

export interface EncodedEvent {
  readonly topic: string;
  /** The pair: the partition key. */
  readonly key: string;
  readonly value: Buffer;
  readonly envelope: EventEnvelope;
}

/** A session event as Confluent-framed Avro on its topic, with the metadata the producers set. */
export const encodeEvent = async (
  serde: Serde,
  topics: { readonly orders: string; readonly executions: string },
  e: EventEnvelope,
): Promise<EncodedEvent> => {
  const matcher = isMatcherEvent(e);
  const topic = matcher ? topics.executions : topics.orders;
  const value = await serde.encode(topic, {
    meta: {
      eventId: e.eventId,
      occurredAt: (e.event as { transactTime: bigint }).transactTime as never,
      correlationId: e.eventId,
      causationId: null,
      traceparent: null,
      tracestate: null,
      pairSeq: matcher ? ((e.event as { seq: number }).seq as never) : null,
      writerEpoch: null,
    },
    payload: e.event,
  });
  return { topic, key: (e.event as { symbol: string }).symbol, value, envelope: e };
};
