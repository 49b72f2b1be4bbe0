// The book of a pair rebuilt from an Avro OCF export instead of the database:
// an auditor holding an export can replay it without access to the system.
// Same engine path as bookAt (the standby rules of PartitionMatcher, ADR 087),
// same prefix rule.
// Records are read by a reader compiled from the file's own schema (ADR 086):
// the export's columns and every event that is not a matcher input are
// skipped without being decoded; inputs are resolved into the current schemas.
import type { Readable } from "node:stream";
import type { DomainEvent, InstrumentCatalog, MatcherInput } from "@fxcore/domain";
import { type Envelope, type EnvelopeMeta, loadCatalog, type SchemaCatalog } from "@fxcore/schemas";
import { compileSelectiveReader, type SelectiveReader } from "../codec/avro-compiler.ts";
import { schemaTree, UnsupportedSchema } from "../codec/avro-schema.ts";
import { type OcfCodec, openOcf, replayReaderType } from "../export/avro-ocf.ts";
import { MATCHER_INPUT_TYPES } from "../log/input-copy.ts";
import type { AsOf } from "./book-at.ts";
import { StandbyApplier } from "./standby-applier.ts";

const INPUT_RECORDS = new Map<string, string>(
  MATCHER_INPUT_TYPES.map((t) => [`fx.events.${t}`, t]),
);

export interface OcfReplay {
  readonly records: number;
  readonly inputsApplied: number;
  readonly lastSeq: number;
  readonly stateHash: string;
  readonly codec: OcfCodec;
  /** "compiled": the file's schema compiled into a selective reader; "avsc": the generic reader. */
  readonly reader: "compiled" | "avsc";
}

let defaultSchemas: SchemaCatalog | undefined;
const defaultSchemaCatalog = (): SchemaCatalog => {
  defaultSchemas ??= loadCatalog();
  return defaultSchemas;
};

/** Applies the pair's inputs found in an export (in file order = log order) up to `asOf`. */
export async function bookFromOcf(
  input: Readable,
  pair: string,
  asOf: AsOf,
  catalog: InstrumentCatalog,
  schemas: SchemaCatalog = defaultSchemaCatalog(),
): Promise<OcfReplay> {
  const applier = new StandbyApplier(catalog);
  const ocf = await openOcf(input);
  const compiled = compileReader(ocf.schema, schemas);
  const generic = compiled === undefined ? replayReaderType(ocf.schema) : undefined;
  let records = 0;
  let applied = 0;
  outer: for await (const { count, data } of ocf.blocks) {
    let pos = 0;
    for (let i = 0; i < count; i++) {
      records++;
      let payload: MatcherInput;
      let eventId: string | undefined;
      if (compiled !== undefined) {
        const p = compiled.read(data, pos, data.length);
        pos = compiled.end();
        if (p === null) continue;
        payload = p as MatcherInput;
      } else {
        const r = generic!.decode(data, pos);
        if (r.offset < 0) throw new Error("OCF block ends inside a record");
        pos = r.offset;
        const env = fromGeneric(r.value as { event: Record<string, Record<string, unknown>> });
        if (env === undefined) continue;
        payload = env.payload as MatcherInput;
        eventId = env.meta.eventId;
      }
      if (payload.symbol !== pair) continue;
      // The book is a prefix of the input sequence: stop at the first input past T.
      if (asOf.kind === "time" && payload.transactTime > asOf.ns) break outer;
      if (eventId === undefined)
        applier.applyWithId(payload, data, compiled!.idStart(), compiled!.idEnd());
      else applier.apply(payload, eventId);
      applied++;
      if (asOf.kind === "seq" && (applier.engine(pair)?.seq ?? 0) >= asOf.seq) break outer;
    }
    if (pos !== data.length) throw new Error("OCF block has bytes after its last record");
  }
  const e = applier.engine(pair);
  return {
    records,
    inputsApplied: applied,
    lastSeq: e?.seq ?? 0,
    stateHash: e?.stateHash() ?? "",
    codec: ocf.codec,
    reader: compiled === undefined ? "avsc" : "compiled",
  };
}

/** A reader of the export record that decodes only matcher inputs; undefined when the file's schema is not one the compiler models. */
function compileReader(
  schema: unknown,
  schemas: SchemaCatalog,
): SelectiveReader<{ readonly type: string }> | undefined {
  try {
    return compileSelectiveReader(
      schemaTree(schema),
      "event",
      (name) => {
        const type = INPUT_RECORDS.get(name);
        const current = type === undefined ? undefined : schemas.current(type);
        return current === undefined ? undefined : schemaTree(current.schema);
      },
      "input",
    );
  } catch (e) {
    if (e instanceof UnsupportedSchema) return undefined;
    throw e;
  }
}

/** A record read by the generic reader: the envelope when it is a matcher input. */
function fromGeneric(r: { event: Record<string, Record<string, unknown>> }): Envelope | undefined {
  const union = r.event;
  // A wrapped union value: one own key, the record's full name.
  const name = Object.keys(union)[0];
  const type = name === undefined ? undefined : INPUT_RECORDS.get(name);
  if (type === undefined) return undefined;
  const inner = union[name!]!;
  const { meta, ...fields } = inner;
  return {
    meta: meta as unknown as EnvelopeMeta,
    payload: { ...fields, type } as unknown as DomainEvent,
  };
}
