// BACKWARD_TRANSITIVE checked locally with avsc: every version of a type
// must read data written with every earlier version. Two steps: the
// resolver must build (names, types, defaults line up), and random data
// written with the older schema must actually decode through it.

import { err, ok, type Result } from "@fxcore/domain";
import { type AvroSchema, readerType, writerType } from "../catalog/avro-types.ts";
import type { SchemaCatalog, SchemaVersion } from "../catalog/catalog.ts";

export interface CompatProblem {
  readonly type: string;
  readonly readerVersion: number;
  readonly writerVersion: number;
  readonly message: string;
}

/** Can `reader` read what `writer` wrote? `samples` random writer values are round-tripped through the resolver. */
export function checkReadable(
  reader: AvroSchema,
  writer: AvroSchema,
  samples = 20,
): Result<void, string> {
  try {
    const r = readerType(reader);
    const w = writerType(writer);
    const resolver = r.createResolver(w);
    for (let i = 0; i < samples; i++) {
      r.fromBuffer(w.toBuffer(w.random()), resolver);
    }
    return ok(undefined);
  } catch (e) {
    return err((e as Error).message);
  }
}

/** Every version of every type against all its earlier versions. */
export function checkHistory(
  catalog: SchemaCatalog,
  extra: readonly SchemaVersion[] = [],
): CompatProblem[] {
  const problems: CompatProblem[] = [];
  const names = new Set([...catalog.names, ...extra.map((v) => v.name)]);
  for (const name of names) {
    const versions = [...catalog.versions(name), ...extra.filter((v) => v.name === name)];
    for (const [j, reader] of versions.entries()) {
      for (const writer of versions.slice(0, j)) {
        const r = checkReadable(reader.schema, writer.schema);
        if (!r.ok) {
          problems.push({
            type: name,
            readerVersion: reader.version,
            writerVersion: writer.version,
            message: r.error,
          });
        }
      }
    }
  }
  return problems;
}
