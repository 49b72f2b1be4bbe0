// Kafka record → what the projector needs. A record the serde cannot read, or
// one carrying a command or an unknown event, is a poison record for the DLQ.
//
// Fast path (ADR 079): records whose writer schema is the current reader
// schema (checked once per schema id against the registry) are read by the
// schemas' compiled envelope reader, which builds the same envelope as the
// serde without a resolver, a Buffer per long or an intermediate Avro record.
// Anything else, and anything the compiled reader declines (truncated or
// trailing bytes, values out of range), goes through the serde, which has the
// final word and the error text.
import { DOMAIN_EVENT_TYPES, type DomainEvent } from "@fxcore/domain";
import type { ConsumedRecord, DecodeResult } from "@fxcore/infra";
import {
  compiledReaders,
  describeDecodeError,
  type Envelope,
  type Serde,
  unframe,
} from "@fxcore/schemas";
import type { DecodedEvent } from "../projector/project-batch.ts";

export const EVENT_TYPES: ReadonlySet<string> = new Set<string>(DOMAIN_EVENT_TYPES);

export interface DecodeOptions {
  /** SCHEMA_REGISTRY_URL: to compare writer schemas with the reader's; without it every record takes the serde. */
  readonly registryUrl?: string;
}

export const decodeWith = (serde: Serde, options: DecodeOptions = {}) => {
  const catalog = serde.catalog;
  const readers = compiledReaders(catalog, options.registryUrl);

  const accept = (
    record: ConsumedRecord,
    envelope: Envelope,
    schemaId: number,
  ): DecodeResult<DecodedEvent> => {
    const { meta, payload } = envelope;
    if (!EVENT_TYPES.has(payload.type))
      return { ok: false, reason: `NOT_AN_EVENT: ${payload.type} on ${record.topic}` };
    return {
      ok: true,
      value: {
        envelope: { eventId: meta.eventId, event: payload as DomainEvent, position: null },
        raw: {
          value: record.value as Buffer,
          schemaId,
          schemaVersion: catalog.current(payload.type)?.version ?? 0,
        },
      },
    };
  };

  /** Records read by each path (the bench and the tests check the fast one runs). */
  const counts = { compiled: 0, serde: 0 };
  const slow = async (record: ConsumedRecord): Promise<DecodeResult<DecodedEvent>> => {
    counts.serde++;
    const r = await serde.decode(record.value);
    if (!r.ok) return { ok: false, reason: describeDecodeError(r.error) };
    const framed = unframe(record.value);
    return accept(record, r.value, framed.ok ? framed.value.schemaId : 0);
  };

  const compiledRead = (
    record: ConsumedRecord,
    id: number,
  ): DecodeResult<DecodedEvent> | Promise<DecodeResult<DecodedEvent>> => {
    const envelope = readers.read(record.value);
    if (envelope === undefined) return slow(record);
    counts.compiled++;
    return accept(record, envelope, id);
  };
  // Synchronous on the fast path: no promise or microtask per record.
  const decode = (
    record: ConsumedRecord,
  ): DecodeResult<DecodedEvent> | Promise<DecodeResult<DecodedEvent>> => {
    const id = readers.schemaId(record.value);
    if (id === undefined) return slow(record);
    return readers.knows(id)
      ? compiledRead(record, id)
      : readers.learn(id).then(() => compiledRead(record, id));
  };
  return Object.assign(decode, { counts: counts as Readonly<typeof counts> });
};
