// The message as it travels: envelope metadata plus one domain event or
// command. On the wire both sit in ONE Avro record per payload type
// (`fx.events.<Type>` with a `meta` field), so the bytes alone replay (ADR 020).

import type { Command, DomainEvent, PairSeq, TimestampNs } from "@fxcore/domain";
import type { SchemaVersion } from "../catalog/catalog.ts";

export interface EnvelopeMeta {
  /** UUID; the idempotency key end to end. */
  readonly eventId: string;
  /** When the message was written (ns since the epoch, UTC), stamped by the writer's shell. */
  readonly occurredAt: TimestampNs;
  /** Shared by everything one client request caused. */
  readonly correlationId: string;
  /** eventId of the message that caused this one; null for a client request's first message. */
  readonly causationId: string | null;
  /** W3C trace context of the span that wrote the message (headers carry the live hop). */
  readonly traceparent: string | null;
  readonly tracestate: string | null;
  /** Gapless per-pair sequence of the stream; equals the event's `seq` for matcher output. */
  readonly pairSeq: PairSeq | null;
  /** Generation of the single writer (e.g. matcher) that wrote it; fences zombie writers. */
  readonly writerEpoch: number | null;
}

/** Everything the schemas cover: every domain event and every command. */
export type Payload = DomainEvent | Command;
export type PayloadType = Payload["type"];
export type PayloadOf<T extends PayloadType> = Extract<Payload, { readonly type: T }>;

export interface Envelope<P extends Payload = Payload> {
  readonly meta: EnvelopeMeta;
  readonly payload: P;
}

/** The Avro record value for an envelope, shaped by the payload type's current schema. */
export function toAvroRecord(envelope: Envelope, schema: SchemaVersion): Record<string, unknown> {
  const payload = envelope.payload as unknown as Record<string, unknown>;
  const record: Record<string, unknown> = {};
  for (const field of schema.schema.fields) {
    if (field.name === "meta") {
      record.meta = envelope.meta;
      continue;
    }
    const value = payload[field.name];
    // Optional domain fields (`seq?`) travel as null.
    record[field.name] = value === undefined && field["fx.optional"] === true ? null : value;
  }
  return record;
}

/** The envelope for a decoded Avro record (already resolved to the current schema). */
export function fromAvroRecord(record: Record<string, unknown>, schema: SchemaVersion): Envelope {
  const payload: Record<string, unknown> = { type: schema.name };
  let meta: EnvelopeMeta | undefined;
  for (const field of schema.schema.fields) {
    const value = record[field.name];
    if (field.name === "meta") {
      meta = { ...(value as EnvelopeMeta) };
      continue;
    }
    if (value === null && field["fx.optional"] === true) continue;
    payload[field.name] = value;
  }
  if (meta === undefined) throw new Error(`${schema.fullName}: schema has no meta field`);
  return { meta, payload: payload as unknown as Payload };
}
