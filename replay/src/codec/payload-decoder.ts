// Stored payloads (Confluent-framed Avro) decoded in bulk: one compiled reader
// per writer schema id, fetched from the registry and compiled on first sight
// (ADR 084). Ids the compiler does not model, ids the registry does not know,
// and every id when no registry URL is given are left to the serde: slower,
// same answer (and the serde's typed error for bytes that are not an event).
import type { Serde } from "@fxcore/schemas";
import { type AvroNode, schemaTree, UnsupportedSchema } from "./avro-schema.ts";
import {
  compileEnvelopeReader,
  compileInputReader,
  type EnvelopeReader,
  type InputReader,
} from "./avro-compiler.ts";

const MATCHER_INPUTS = new Set([
  "OrderAccepted",
  "OrderCancelRequested",
  "OrderReplaceRequested",
  "TimeAdvanced",
]);

const NAMESPACE = "fx.events.";

export interface PayloadDecoder {
  /**
   * The compiled reader of a writer schema id: undefined until `prepare(id)`
   * settled; null when the id is left to the serde.
   */
  readerFor(schemaId: number): EnvelopeReader | null | undefined;
  /** The compiled matcher-input reader of a schema id (null: not an input type, or left to the serde). */
  inputReaderFor(schemaId: number): InputReader | null | undefined;
  /** Fetches and compiles the reader of a schema id (once; later calls share it). */
  prepare(schemaId: number): Promise<void>;
  /** Schema ids decoded by a compiled reader / left to the serde. */
  readonly stats: { readonly compiled: readonly number[]; readonly serde: readonly number[] };
}

export function payloadDecoder(options: {
  readonly serde: Serde;
  /** SCHEMA_REGISTRY_URL; without it every id is left to the serde. */
  readonly registryUrl?: string | undefined;
}): PayloadDecoder {
  const { serde } = options;
  const compiled = new Map<number, EnvelopeReader | null>();
  const inputs = new Map<number, InputReader | null>();
  const pending = new Map<number, Promise<void>>();
  const stats = { compiled: [] as number[], serde: [] as number[] };
  const readers = new Map<string, AvroNode>();
  const readerTree = (type: string): AvroNode | undefined => {
    let t = readers.get(type);
    const v = serde.catalog.current(type);
    if (t === undefined && v !== undefined) {
      t = schemaTree(v.schema);
      readers.set(type, t);
    }
    return t;
  };

  type Readers = { envelope: EnvelopeReader | null; input: InputReader | null };
  const none: Readers = { envelope: null, input: null };
  const compile = async (id: number): Promise<Readers> => {
    if (options.registryUrl === undefined) return none;
    const writer = await writerSchema(options.registryUrl, id);
    if (writer === undefined) return none; // unknown id: the serde reports it
    const name = typeof writer.name === "string" ? writer.name : "";
    const full = name.includes(".") ? name : `${String(writer.namespace ?? "")}.${name}`;
    const type = full.startsWith(NAMESPACE) ? full.slice(NAMESPACE.length) : undefined;
    const reader = type === undefined ? undefined : readerTree(type);
    if (type === undefined || reader === undefined) return none;
    try {
      const tree = schemaTree(writer);
      return {
        envelope: compileEnvelopeReader(tree, reader, type),
        input: MATCHER_INPUTS.has(type) ? compileInputReader(tree, reader, type) : null,
      };
    } catch (e) {
      if (e instanceof UnsupportedSchema) return none; // not modelled: the serde decides
      throw e;
    }
  };

  return {
    stats,
    readerFor: (id) => compiled.get(id),
    inputReaderFor: (id) => inputs.get(id),
    prepare(id) {
      if (compiled.has(id)) return Promise.resolve();
      let p = pending.get(id);
      if (p === undefined) {
        p = compile(id).then(
          (r) => {
            compiled.set(id, r.envelope);
            inputs.set(id, r.input);
            (r.envelope === null ? stats.serde : stats.compiled).push(id);
            pending.delete(id);
          },
          (e: unknown) => {
            pending.delete(id);
            throw e;
          },
        );
        pending.set(id, p);
      }
      return p;
    },
  };
}

async function writerSchema(
  registryUrl: string,
  id: number,
): Promise<Record<string, unknown> | undefined> {
  const res = await fetch(`${registryUrl.replace(/\/+$/, "")}/schemas/ids/${id}`);
  if (!res.ok) return undefined;
  const body = (await res.json()) as { schema?: string };
  if (typeof body.schema !== "string") return undefined;
  const parsed = JSON.parse(body.schema) as unknown;
  return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)
    ? (parsed as Record<string, unknown>)
    : undefined;
}
