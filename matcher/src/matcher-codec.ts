import type { Result } from "@fxcore/domain";
import {
  compiledReaders,
  createRegistryClient,
  createSink,
  type DecodeError,
  type Envelope,
  type PayloadType,
  type Serde,
  type Sink,
  subjectName,
} from "@fxcore/schemas";

// The matcher's serde: the shared serde's contract (same bytes, same envelopes,
// same errors) with a synchronous fast path for the common case, so the hot
// loop does not pay a promise, a resolver and two object copies per record.
//
// Decode: fast only for schema ids whose writer schema is the current reader
// schema (checked once per id against the registry, in Parsing Canonical
// Form); everything else, and anything the fast reader declines, goes through
// the shared serde. Encode: fast once the output subject's schema id is known
// (the first record of each type registers it through the serde).

export interface MatcherCodec {
  /** The envelope, or undefined: call `decodeSlow` (unknown schema id, bytes the fast reader declines). */
  decode(bytes: Buffer | null): Result<Envelope, DecodeError> | undefined;
  decodeSlow(bytes: Buffer | null): Promise<Result<Envelope, DecodeError>>;
  /** Confluent-framed bytes, or undefined: call `encodeSlow` (first of its type, or a value only the serde may judge). */
  encode(envelope: Envelope): Buffer | undefined;
  encodeSlow(envelope: Envelope): Promise<Buffer>;
  /**
   * Learns now what the first records would otherwise wait for, one registry
   * round trip each: the output types' schema ids (registering them, as the
   * first encode of each would) and the input subjects' latest ids. Best
   * effort: what fails here is learned lazily as before.
   */
  warmUp(
    inputTopic: string,
    inputTypes: Iterable<string>,
    outputTypes: Iterable<string>,
  ): Promise<void>;
}

export interface MatcherCodecOptions {
  readonly serde: Serde;
  readonly outputTopic: string;
  /** SCHEMA_REGISTRY_URL: to compare writer schemas with the reader's; without it every decode takes the serde. */
  readonly registryUrl?: string | undefined;
}

/** A fresh output slab when less than this is left: records are views into slabs (no copy per record). */
const SLAB_BYTES = 1024 * 1024;
const SLAB_HEADROOM = 16 * 1024;

export function createMatcherCodec(o: MatcherCodecOptions): MatcherCodec {
  const { serde, outputTopic } = o;
  const catalog = serde.catalog;
  const readers = compiledReaders(catalog, o.registryUrl);
  const registry = o.registryUrl === undefined ? undefined : createRegistryClient(o.registryUrl);
  const codecOf = readers.codecOf;
  const fast = (bytes: Buffer | null): Result<Envelope, DecodeError> | undefined => {
    const envelope = readers.read(bytes);
    return envelope === undefined ? undefined : { ok: true, value: envelope };
  };

  // --- encode
  const ids = new Map<string, number>();
  let sink: Sink = createSink(SLAB_BYTES);

  return {
    decode: fast,
    async decodeSlow(bytes) {
      const id = readers.schemaId(bytes);
      if (id !== undefined && !readers.knows(id)) {
        await readers.learn(id);
        const again = fast(bytes);
        if (again !== undefined) return again;
      }
      return serde.decode(bytes);
    },
    encode(envelope) {
      const type = envelope.payload.type;
      const id = ids.get(type);
      if (id === undefined) return undefined;
      // The serde refuses an event whose seq contradicts meta.pairSeq: let it.
      const seq = (envelope.payload as { seq?: number }).seq;
      if (seq !== undefined && envelope.meta.pairSeq !== null && envelope.meta.pairSeq !== seq) {
        return undefined;
      }
      const codec = codecOf(type);
      if (codec === undefined) return undefined;
      if (sink.buf.length - sink.pos < SLAB_HEADROOM) sink = createSink(SLAB_BYTES);
      const start = sink.pos;
      sink.buf[sink.pos++] = 0;
      sink.buf.writeInt32BE(id, sink.pos);
      sink.pos += 4;
      if (!codec.write(sink, envelope)) {
        sink.pos = start;
        return undefined;
      }
      return sink.buf.subarray(start, sink.pos);
    },
    async warmUp(inputTopic, inputTypes, outputTypes) {
      const outputs = [...outputTypes].map(async (type) => {
        if (!ids.has(type)) ids.set(type, await serde.register(outputTopic, type as PayloadType));
      });
      const inputs = [...inputTypes].map(async (type) => {
        const version = catalog.current(type);
        if (registry === undefined || version === undefined) return;
        const id = await registry.api.getLatestSchemaId(subjectName(inputTopic, version.fullName));
        await readers.learn(id);
      });
      await Promise.allSettled([...outputs, ...inputs]);
    },
    async encodeSlow(envelope) {
      const bytes = await serde.encode(outputTopic, envelope);
      const type = envelope.payload.type;
      if (!ids.has(type)) ids.set(type, await serde.register(outputTopic, type));
      return bytes;
    },
  };
}
