// What command-service needs from the schemas serde: domain events to
// Confluent-framed Avro and back. `createSerde` of @fxcore/schemas has this
// shape; tests and main pass that, never a stand-in.
import type { DomainEvent, PairSeq, TimestampNs } from "@fxcore/domain";

export interface EventMeta {
  readonly eventId: string;
  readonly occurredAt: TimestampNs;
  readonly correlationId: string;
  readonly causationId: string | null;
  readonly traceparent: string | null;
  readonly tracestate: string | null;
  readonly pairSeq: PairSeq | null;
  readonly writerEpoch: number | null;
}

export interface EventEnvelope {
  readonly meta: EventMeta;
  readonly payload: DomainEvent;
}

export interface EventCodec {
  encode(topic: string, envelope: EventEnvelope): Promise<Buffer>;
  /** encode's bytes now, or undefined (type not registered yet, or a value only encode may judge). */
  encodeSync?(topic: string, envelope: EventEnvelope): Buffer | undefined;
  decode(
    bytes: Buffer,
  ): Promise<
    | { readonly ok: true; readonly value: { readonly meta: EventMeta; readonly payload: unknown } }
    | { readonly ok: false; readonly error: { readonly kind: string; readonly message: string } }
  >;
  readonly catalog: { current(name: string): { readonly version: number } | undefined };
}

/** Schema id of a Confluent-framed record (bytes 1..4, big-endian). */
export const schemaIdOf = (framed: Buffer): number => framed.readInt32BE(1);
