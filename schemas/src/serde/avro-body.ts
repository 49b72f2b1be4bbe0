// Avro bodies <-> envelopes, without the registry: the pure half of the serde.

import { err, ok, type Result } from "@fxcore/domain";
import type { AvroType } from "../catalog/avro-types.ts";
import { NAMESPACE, type SchemaCatalog, type SchemaVersion } from "../catalog/catalog.ts";
import { type Envelope, fromAvroRecord, toAvroRecord } from "../envelope/envelope.ts";
import { type DecodeError, decodeError, EncodeError } from "./decode-error.ts";

/** Resolves writer data into the current reader schema of the same record name. */
export interface ReaderPlan {
  readonly version: SchemaVersion;
  readonly codec: AvroType;
  readonly resolver: ReturnType<AvroType["createResolver"]>;
}

export function planRead(
  catalog: SchemaCatalog,
  writer: AvroType,
  schemaId?: number,
): Result<ReaderPlan, DecodeError> {
  const fullName = writer.name ?? "";
  const name = fullName.startsWith(`${NAMESPACE}.`) ? fullName.slice(NAMESPACE.length + 1) : "";
  const version = catalog.current(name);
  const codec = catalog.codec(name);
  if (version === undefined || codec === undefined) {
    return err(
      decodeError(
        "UNKNOWN_RECORD_TYPE",
        `no reader schema for ${fullName || writer.typeName}`,
        schemaId,
      ),
    );
  }
  try {
    return ok({ version, codec, resolver: codec.createResolver(writer) });
  } catch (e) {
    return err(decodeError("SCHEMA_RESOLUTION", (e as Error).message, schemaId));
  }
}

export function readBody(
  body: Buffer,
  plan: ReaderPlan,
  schemaId?: number,
): Result<Envelope, DecodeError> {
  let record: Record<string, unknown>;
  try {
    record = plan.codec.fromBuffer(body, plan.resolver) as Record<string, unknown>;
  } catch (e) {
    const message = (e as Error).message;
    const kind = /truncated/i.test(message) ? "TRUNCATED" : "INVALID_BODY";
    return err(decodeError(kind, message, schemaId));
  }
  return ok(fromAvroRecord(record, plan.version));
}

/** Avro body of an envelope under its payload type's current schema; throws EncodeError on a value the schema refuses. */
export function writeBody(catalog: SchemaCatalog, envelope: Envelope): Buffer {
  const type = envelope.payload.type;
  const version = catalog.current(type);
  const codec = catalog.codec(type);
  if (version === undefined || codec === undefined) {
    throw new EncodeError(`no schema for payload type ${String(type)}`, []);
  }
  const seq = (envelope.payload as { seq?: number }).seq;
  if (seq !== undefined && envelope.meta.pairSeq !== null && envelope.meta.pairSeq !== seq) {
    throw new EncodeError(
      `meta.pairSeq ${envelope.meta.pairSeq} differs from the event's seq ${seq}`,
      ["meta.pairSeq"],
    );
  }
  const record = toAvroRecord(envelope, version);
  try {
    return codec.toBuffer(record); // avsc checks every value as it writes
  } catch (e) {
    // Only on failure: walk the value again to name every offending field.
    const paths: string[] = [];
    codec.isValid(record, { errorHook: (path) => paths.push(path.join(".")) });
    throw new EncodeError(
      `${version.fullName} v${version.version} refuses the value (${(e as Error).message})`,
      paths,
    );
  }
}
