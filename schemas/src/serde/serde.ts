// The serde every producer and consumer uses: envelopes to Confluent-framed
// Avro and back, resolving each writer's schema (fetched by id, cached) into
// this reader's current schema.

import type { Result } from "@fxcore/domain";
import { loadCatalog, type SchemaCatalog } from "../catalog/catalog.ts";
import type { Envelope, PayloadType } from "../envelope/envelope.ts";
import { planRead, type ReaderPlan, readBody, writeBody } from "./avro-body.ts";
import { type DecodeError, decodeError, EncodeError } from "./decode-error.ts";
import { compiledReaders } from "./compiled-readers.ts";
import { createSink, type Sink } from "./fast-avro.ts";
import { createRegistryClient, registerSchema, subjectName, writerSchemaById } from "./registry.ts";
import { frame, HEADER_BYTES, MAGIC_BYTE, unframe } from "./wire.ts";

/** encodeSync's output slabs: a fresh one when less than the headroom is left (a body may grow the slab it is written in). */
const SLAB_BYTES = 256 * 1024;
const SLAB_HEADROOM = 16 * 1024;

export interface SerdeOptions {
  /** SCHEMA_REGISTRY_URL, the Confluent-compatible base URL. */
  readonly registryUrl: string;
  readonly catalog?: SchemaCatalog;
}

export interface Serde {
  /** Confluent-framed Avro for the envelope; registers the payload type's current schema under `<topic>-fx.events.<Type>` on first use. */
  encode(topic: string, envelope: Envelope): Promise<Buffer>;
  /**
   * `encode`'s bytes, synchronously, once the payload type is registered under
   * the topic (a first `encode` or `register` did it): written by the compiled
   * writer straight behind the frame header, no promise, no intermediate
   * record or copies. undefined when the id is not known yet or the value is
   * one the schema may refuse: then `encode`, which has the final word.
   */
  encodeSync(topic: string, envelope: Envelope): Buffer | undefined;
  /** The envelope, or why the bytes cannot be one. Throws RegistryUnavailableError only when the registry cannot be asked. */
  decode(bytes: Buffer | null | undefined): Promise<Result<Envelope, DecodeError>>;
  /** Registers the current schema of a type under a topic's subject; returns its id. */
  register(topic: string, type: PayloadType): Promise<number>;
  readonly catalog: SchemaCatalog;
}

export function createSerde(options: SerdeOptions): Serde {
  const catalog = options.catalog ?? loadCatalog();
  const registry = createRegistryClient(options.registryUrl);
  const ids = new Map<string, Promise<number>>();
  const plans = new Map<number, Result<ReaderPlan, DecodeError>>();
  /** Registered schema ids by topic and payload type, for encodeSync. */
  const known = new Map<string, Map<string, number>>();
  const writerOf = compiledReaders(catalog).codecOf;
  // Records are views into slabs (no allocation or copy per record); a
  // slab is never written again once left, so a view stays valid.
  let sink: Sink = createSink(SLAB_BYTES);

  const register = (topic: string, type: PayloadType): Promise<number> => {
    const version = catalog.current(type);
    if (version === undefined) return Promise.reject(new EncodeError(`no schema for ${type}`, []));
    const subject = subjectName(topic, version.fullName);
    let id = ids.get(subject);
    if (id === undefined) {
      id = registerSchema(registry, subject, version).then((r) => {
        if (!r.ok) throw new EncodeError(`registry refused ${subject}: ${r.error.message}`, []);
        let byType = known.get(topic);
        if (byType === undefined) {
          byType = new Map();
          known.set(topic, byType);
        }
        byType.set(type, r.value);
        return r.value;
      });
      id.catch(() => ids.delete(subject));
      ids.set(subject, id);
    }
    return id;
  };

  const planFor = async (schemaId: number): Promise<Result<ReaderPlan, DecodeError>> => {
    const cached = plans.get(schemaId);
    if (cached !== undefined) return cached;
    const writer = await writerSchemaById(registry, schemaId);
    if (writer === undefined) {
      // Not cached: an id unknown now stays a poison record, asking again is cheap.
      return {
        ok: false,
        error: decodeError("UNKNOWN_SCHEMA_ID", `registry has no schema ${schemaId}`, schemaId),
      };
    }
    const plan = planRead(catalog, writer, schemaId);
    plans.set(schemaId, plan);
    return plan;
  };

  return {
    catalog,
    register,
    async encode(topic, envelope) {
      const body = writeBody(catalog, envelope);
      return frame(await register(topic, envelope.payload.type), body);
    },
    encodeSync(topic, envelope) {
      const type = envelope.payload.type;
      const id = known.get(topic)?.get(type);
      if (id === undefined) return undefined;
      // writeBody refuses an event whose seq contradicts meta.pairSeq: let it.
      const seq = (envelope.payload as { seq?: number }).seq;
      if (seq !== undefined && envelope.meta.pairSeq !== null && envelope.meta.pairSeq !== seq)
        return undefined;
      const writer = writerOf(type);
      if (writer === undefined) return undefined;
      if (sink.buf.length - sink.pos < SLAB_HEADROOM) sink = createSink(SLAB_BYTES);
      const start = sink.pos;
      sink.buf[start] = MAGIC_BYTE;
      sink.buf.writeInt32BE(id, start + 1);
      sink.pos = start + HEADER_BYTES;
      if (!writer.write(sink, envelope)) {
        sink.pos = start;
        return undefined;
      }
      return sink.buf.subarray(start, sink.pos);
    },
    async decode(bytes) {
      const framed = unframe(bytes);
      if (!framed.ok) return framed;
      const plan = await planFor(framed.value.schemaId);
      if (!plan.ok) return plan;
      return readBody(framed.value.body, plan.value, framed.value.schemaId);
    },
  };
}
