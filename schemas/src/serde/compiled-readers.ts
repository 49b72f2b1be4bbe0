import type { SchemaCatalog } from "../catalog/catalog.ts";
import type { Envelope } from "../envelope/envelope.ts";
import { writerType } from "../catalog/avro-types.ts";
import { compileEnvelopeCodec, type EnvelopeCodec } from "./fast-avro.ts";
import { createRegistryClient } from "./registry.ts";

// The compiled codec (fast-avro.ts) for Confluent-framed records, chosen by
// schema id: a record is read by it only when its writer schema IS the
// current reader schema of its type (checked once per id against the
// registry, by canonical JSON), so no resolution is needed. Everything else —
// an older writer, an unknown id, registry trouble, bytes the codec declines —
// answers undefined and the caller takes the serde, which has the final word
// and the error text. One place for the matcher's and the projection's hot
// decode paths.

const HEADER = 5;

export interface CompiledReaders {
  /** The envelope, or undefined: not framed, an id not learned yet, a writer that is not current, or bytes the codec declines. */
  read(bytes: Buffer | null): Envelope | undefined;
  /** The Confluent frame's schema id, or undefined for unframed bytes. */
  schemaId(bytes: Buffer | null): number | undefined;
  /** Whether the schema id was looked up already. */
  knows(id: number): boolean;
  /** Looks the schema id up once; never throws (trouble leaves the id to the serde, and it is asked again later). */
  learn(id: number): Promise<void>;
  /** The compiled codec of a type's current schema (also the encoder's). */
  codecOf(type: string): EnvelopeCodec | undefined;
}

/** Without `registryUrl` no id is ever compiled: every record takes the serde. */
export function compiledReaders(catalog: SchemaCatalog, registryUrl?: string): CompiledReaders {
  const registry = registryUrl === undefined ? undefined : createRegistryClient(registryUrl);
  const byType = new Map<string, EnvelopeCodec>();
  /** Schema id → the compiled reader, or null when its writer is not the current reader schema. */
  const byId = new Map<number, EnvelopeCodec | null>();

  const codecOf = (type: string): EnvelopeCodec | undefined => {
    let c = byType.get(type);
    if (c === undefined) {
      const version = catalog.current(type);
      const reader = catalog.codec(type);
      if (version === undefined || reader === undefined) return undefined;
      c = compileEnvelopeCodec(version, reader);
      byType.set(type, c);
    }
    return c;
  };
  const schemaId = (bytes: Buffer | null): number | undefined =>
    bytes === null || bytes.length < HEADER || bytes[0] !== 0 ? undefined : bytes.readInt32BE(1);

  return {
    read(bytes) {
      const id = schemaId(bytes);
      if (id === undefined) return undefined;
      const reader = byId.get(id);
      return reader ? reader.read(bytes as Buffer, HEADER) : undefined;
    },
    schemaId,
    knows: (id) => byId.has(id),
    async learn(id) {
      if (byId.has(id)) return;
      if (registry === undefined) {
        byId.set(id, null);
        return;
      }
      let writer: { name?: string; schema(): unknown } | undefined;
      try {
        writer = (await registry.api.getSchema(id)) as unknown as typeof writer;
      } catch {
        return; // unknown id or registry trouble: the serde decides (and reports) per record
      }
      const fullName = writer?.name ?? "";
      const type = fullName.slice(fullName.lastIndexOf(".") + 1);
      const current = catalog.current(type);
      const same =
        writer !== undefined &&
        current !== undefined &&
        fullName === current.fullName &&
        JSON.stringify(writer.schema()) === JSON.stringify(writerType(current.schema).schema());
      byId.set(id, same ? (codecOf(type) ?? null) : null);
    },
    codecOf,
  };
}
