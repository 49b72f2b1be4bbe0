// Avro Object Container Files, written and read in constant memory. The file
// header carries the full writer schema (every event record, with its logical
// types and FIX-code enums), so the export describes itself; any Avro reader
// can read it back with the embedded schema alone.
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import type { Readable, Writable } from "node:stream";
import { deflateRawSync } from "node:zlib";
import { DOMAIN_EVENT_TYPES } from "@fxcore/domain";
import { type AvroType, readerType, type SchemaCatalog } from "@fxcore/schemas";
import avro from "avsc";
import { encodeHeader, longBytes, type OcfCodec, openOcf, SYNC_BYTES } from "./ocf-container.ts";

export {
  OCF_CODECS,
  type OcfBlock,
  type OcfCodec,
  type OcfStream,
  openOcf,
} from "./ocf-container.ts";

/** Event record types exported (the domain events; commands never reach the event store). */
export const EVENT_TYPES = DOMAIN_EVENT_TYPES;

/** The export's record: where the event sits in the log, and the event itself (a union of every event record). */
export function exportSchema(catalog: SchemaCatalog): Record<string, unknown> {
  const events = EVENT_TYPES.map((t) => {
    const v = catalog.current(t);
    if (v === undefined) throw new Error(`no schema for ${t}`);
    return v.schema;
  });
  return {
    type: "record",
    name: "ExportedEvent",
    namespace: "fx.replay",
    doc: "One event of the fxcore event log as exported by the regulator replay.",
    fields: [
      { name: "globalPosition", type: "long" },
      { name: "streamId", type: "string" },
      { name: "streamVersion", type: "long" },
      { name: "recordedAt", type: { type: "long", logicalType: "timestamp-micros" } },
      { name: "eventId", type: "string" },
      { name: "eventType", type: "string" },
      {
        name: "schemaId",
        type: "int",
        doc: "Registry id of the schema the stored bytes were written with.",
      },
      { name: "regulatoryCode", type: "string" },
      { name: "event", type: dedupeNamedTypes(events) },
    ],
  };
}

/** Avro allows a named type to be defined once per schema: later definitions become references. */
function dedupeNamedTypes(schemas: readonly unknown[]): unknown[] {
  const defined = new Map<string, string>();
  const walk = (s: unknown, ns: string | undefined): unknown => {
    if (Array.isArray(s)) return s.map((x) => walk(x, ns));
    if (s === null || typeof s !== "object") return s;
    const o = s as Record<string, unknown>;
    const named =
      o.type === "record" || o.type === "enum" || o.type === "fixed" || o.type === "error";
    if (!named) {
      const out: Record<string, unknown> = { ...o };
      if (o.items !== undefined) out.items = walk(o.items, ns);
      if (o.values !== undefined) out.values = walk(o.values, ns);
      if (typeof o.type === "object") out.type = walk(o.type, ns);
      return out;
    }
    const name = String(o.name);
    const space = name.includes(".") ? undefined : ((o.namespace as string | undefined) ?? ns);
    const full = name.includes(".") ? name : space ? `${space}.${name}` : name;
    const text = JSON.stringify(o);
    const seen = defined.get(full);
    if (seen !== undefined) {
      if (seen !== text)
        throw new Error(`named type ${full} is defined differently in two event schemas`);
      return full;
    }
    defined.set(full, text);
    const innerNs = full.includes(".") ? full.slice(0, full.lastIndexOf(".")) : undefined;
    const out: Record<string, unknown> = { ...o };
    if (Array.isArray(o.fields)) {
      out.fields = (o.fields as Record<string, unknown>[]).map((f) => ({
        ...f,
        type: walk(f.type, innerNs),
      }));
    }
    return out;
  };
  return schemas.map((s) => walk(s, undefined));
}

/** Streams records into an OCF: `write` per record, blocks flushed at ~64 KiB. */
export class OcfWriter {
  readonly type: AvroType;
  readonly #sink: (chunk: Buffer) => Promise<void>;
  readonly #sync = randomBytes(SYNC_BYTES);
  readonly #blockBytes: number;
  readonly #codec: OcfCodec;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #count = 0;

  constructor(
    schema: Record<string, unknown>,
    sink: (chunk: Buffer) => Promise<void>,
    blockBytes = 64 * 1024,
    codec: OcfCodec = "null",
  ) {
    this.type = readerType(schema as never);
    this.#sink = sink;
    this.#blockBytes = blockBytes;
    this.#codec = codec;
    this.#header = encodeHeader(JSON.stringify(schema), codec, this.#sync);
  }
  #header: Buffer | null;

  async write(record: unknown): Promise<void> {
    if (this.#header !== null) {
      await this.#sink(this.#header);
      this.#header = null;
    }
    const bytes = this.type.toBuffer(record);
    this.#pending.push(bytes);
    this.#pendingBytes += bytes.length;
    this.#count++;
    if (this.#pendingBytes >= this.#blockBytes) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.#header !== null) {
      await this.#sink(this.#header);
      this.#header = null;
    }
    if (this.#count === 0) return;
    const data = Buffer.concat(this.#pending);
    const body = this.#codec === "deflate" ? deflateRawSync(data) : data;
    const block = Buffer.concat([longBytes(this.#count), longBytes(body.length), body, this.#sync]);
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#count = 0;
    await this.#sink(block);
  }
}

/** Rewrites an OCF with another block codec: same schema, same records, same block boundaries. */
export async function recodeOcf(input: Readable, output: Writable, codec: OcfCodec): Promise<void> {
  const ocf = await openOcf(input);
  const sync = randomBytes(SYNC_BYTES);
  const write = async (b: Buffer) => {
    if (!output.write(b)) await once(output, "drain");
  };
  await write(encodeHeader(JSON.stringify(ocf.schema), codec, sync));
  for await (const { count, data } of ocf.blocks) {
    const body = codec === "deflate" ? deflateRawSync(data) : data;
    await write(Buffer.concat([longBytes(count), longBytes(body.length), body, sync]));
  }
  output.end();
  await once(output, "finish");
}

/** Reads an OCF from a byte stream, yielding records block by block; the schema comes from the file. */
export async function* readOcf(
  input: Readable,
  makeType: (schema: unknown) => AvroType = (s) => readerType(s as never),
): AsyncGenerator<unknown[]> {
  const ocf = await openOcf(input);
  const type = makeType(ocf.schema);
  for await (const { count, data } of ocf.blocks) {
    const records: unknown[] = new Array(count);
    let pos = 0;
    for (let i = 0; i < count; i++) {
      const r = type.decode(data, pos);
      if (r.offset < 0) throw new Error("OCF block ends inside a record");
      records[i] = r.value;
      pos = r.offset;
    }
    yield records;
  }
}

type ReadTap = { buf: Buffer; pos: number };

/** A long read straight from its zig-zag varint into a bigint (avsc's own long stops at 2^53). */
class NsLong extends (avro.types.LongType as unknown as new () => object) {
  _read(tap: ReadTap): bigint {
    const buf = tap.buf;
    let low = 0;
    let shift = 0;
    let b: number;
    do {
      b = buf[tap.pos++]!;
      low |= (b & 0x7f) << shift;
      shift += 7;
    } while (b & 0x80 && shift < 28);
    let z = BigInt(low >>> 0);
    if (b & 0x80) {
      let high = 0;
      let mul = 1;
      do {
        b = buf[tap.pos++]!;
        high += (b & 0x7f) * mul;
        mul *= 128;
      } while (b & 0x80);
      z += BigInt(high) << 28n;
    }
    return (z >> 1n) ^ -(z & 1n);
  }
}

/**
 * A reader for replaying an export fast: plain longs as avsc's own numbers
 * (exact over the safe range, an error beyond), ns timestamps read straight
 * from the varint into a bigint, FIX-code enums left as their symbols (no
 * matcher input carries one). `readerType` stays the faithful reader.
 */
export function replayReaderType(schema: unknown): AvroType {
  const ns = new NsLong();
  return avro.Type.forSchema(schema as avro.Schema, {
    wrapUnions: "auto",
    typeHook: (s) => {
      const o = s as { type?: unknown; logicalType?: unknown };
      return typeof o === "object" &&
        o !== null &&
        o.type === "long" &&
        o.logicalType === "timestamp-nanos"
        ? (ns as unknown as AvroType)
        : undefined;
    },
  });
}
