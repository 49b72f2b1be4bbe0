// Every committed schema version, read from `schemas/avro/<Type>/v<N>.avsc`.
// The highest version of a type is its current schema: what this code writes
// with and resolves every older writer into.

import { readdirSync, readFileSync } from "node:fs";
import { type AvroSchema, type AvroType, readerType } from "./avro-types.ts";

export const NAMESPACE = "fx.events";

export interface SchemaVersion {
  /** Record name without namespace, equal to the domain `type`: "OrderAccepted". */
  readonly name: string;
  readonly fullName: string;
  readonly version: number;
  readonly path: string;
  /** The .avsc as committed (this is what gets registered). */
  readonly schema: AvroSchema & { readonly name: string; readonly fields: readonly AvroField[] };
}

export interface AvroField {
  readonly name: string;
  readonly type: unknown;
  readonly default?: unknown;
  readonly "fx.optional"?: boolean;
}

export interface SchemaCatalog {
  /** Record names, sorted. */
  readonly names: readonly string[];
  /** All versions of a type, oldest first. */
  versions(name: string): readonly SchemaVersion[];
  current(name: string): SchemaVersion | undefined;
  /** Codec of the current schema, built once. */
  codec(name: string): AvroType | undefined;
}

export const defaultAvroDir = new URL("../../avro/", import.meta.url);

export function loadCatalog(dir: URL = defaultAvroDir): SchemaCatalog {
  const byName = new Map<string, SchemaVersion[]>();
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const versions: SchemaVersion[] = [];
    for (const file of readdirSync(new URL(`${entry.name}/`, dir))) {
      const m = /^v([1-9][0-9]*)\.avsc$/.exec(file);
      if (m === null) continue;
      const url = new URL(`${entry.name}/${file}`, dir);
      const schema = JSON.parse(readFileSync(url, "utf8")) as SchemaVersion["schema"];
      if (
        schema.name !== entry.name ||
        (schema as { namespace?: string }).namespace !== NAMESPACE
      ) {
        throw new Error(`${url.pathname}: record must be ${NAMESPACE}.${entry.name}`);
      }
      versions.push({
        name: entry.name,
        fullName: `${NAMESPACE}.${entry.name}`,
        version: Number(m[1]),
        path: url.pathname,
        schema,
      });
    }
    versions.sort((a, b) => a.version - b.version);
    versions.forEach((v, i) => {
      if (v.version !== i + 1)
        throw new Error(`${entry.name}: versions must be v1..vN without gaps`);
    });
    if (versions.length > 0) byName.set(entry.name, versions);
  }
  const codecs = new Map<string, AvroType>();
  const current = (name: string) => byName.get(name)?.at(-1);
  return {
    names: [...byName.keys()].sort(),
    versions: (name) => byName.get(name) ?? [],
    current,
    codec(name) {
      let codec = codecs.get(name);
      const schema = current(name)?.schema;
      if (codec === undefined && schema !== undefined) {
        codec = readerType(schema);
        codecs.set(name, codec);
      }
      return codec;
    },
  };
}
