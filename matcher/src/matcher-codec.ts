import type { Result } from "@fxcore/domain";
import {
  compiledReaders,
  createRegistryClient,
  type DecodeError,
  type Envelope,
  type PayloadType,
  type Serde,
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

export function createMatcherCodec(o: MatcherCodecOptions): MatcherCodec {
  const { serde, outputTopic } = o;
  const catalog = serde.catalog;
  const readers = compiledReaders(catalog, o.registryUrl);
  const registry = o.registryUrl === undefined ? undefined : createRegistryClient(o.registryUrl);
  const fast = (bytes: Buffer | null): Result<Envelope, DecodeError> | undefined => {
    const envelope = readers.read(bytes);
    return envelope === undefined ? undefined : { ok: true, value: envelope };
  };

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
    // The serde's synchronous path: the same compiled codec and framing, once
    // warmUp or a first encodeSlow registered the type under the output topic.
    encode: (envelope) => serde.encodeSync(outputTopic, envelope),
    async warmUp(inputTopic, inputTypes, outputTypes) {
      const outputs = [...outputTypes].map((type) =>
        serde.register(outputTopic, type as PayloadType),
      );
      const inputs = [...inputTypes].map(async (type) => {
        const version = catalog.current(type);
        if (registry === undefined || version === undefined) return;
        const id = await registry.api.getLatestSchemaId(subjectName(inputTopic, version.fullName));
        await readers.learn(id);
      });
      await Promise.allSettled([...outputs, ...inputs]);
    },
    encodeSlow: (envelope) => serde.encode(outputTopic, envelope),
  };
}
