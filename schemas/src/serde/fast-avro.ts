import type { SchemaVersion } from "../catalog/catalog.ts";
import type { Envelope, EnvelopeMeta, Payload } from "../envelope/envelope.ts";

// Avro bodies of envelopes read and written straight from and into bytes, for
// hot paths (the serde's encodeSync, the matcher's codec, the projection's
// decode). Same bytes and same envelopes as `writeBody`/`readBody` (proven by
// the tests), minus what makes that path slow: a Buffer per long, a resolver,
// the Avro record as an intermediate object and its copies into an envelope
// or a framed Buffer.
//
// Only for data whose writer schema IS the current reader schema (the caller
// checks by schema id). Anything unusual — truncated or trailing bytes, a bad
// union or enum index, a long outside the safe range, a value the schema would
// refuse — makes `read` return undefined and `write` return false, and the
// caller takes the shared serde, which has the final word (and the error text).

/** A failed read or write; never escapes this module. */
class Decline extends Error {}
const decline = new Decline("fast path declined");

/** What the reader produces and the writer consumes for one Avro type. */
interface FieldCodec {
  read(c: Cursor): unknown;
  /** Throws `decline` when the value is not what the schema accepts. */
  write(s: Sink, v: unknown): void;
}

/** Read position over one body. */
export interface Cursor {
  buf: Buffer;
  pos: number;
}

/** A growable output buffer; `buf` is replaced when it grows. */
export interface Sink {
  buf: Buffer;
  pos: number;
}

export function createSink(size = 64 * 1024): Sink {
  return { buf: Buffer.allocUnsafe(size), pos: 0 };
}

function ensure(s: Sink, n: number): void {
  if (s.pos + n <= s.buf.length) return;
  const bigger = Buffer.allocUnsafe(Math.max(s.buf.length * 2, s.pos + n));
  s.buf.copy(bigger, 0, 0, s.pos);
  s.buf = bigger;
}

// --- varints (zigzag), as avsc reads and writes them --------------------------

/** A zigzag varint below 2^53 (≤ 8 bytes); anything longer or larger declines. */
function readLong(c: Cursor): number {
  const buf = c.buf;
  let b = buf[c.pos++]!;
  let n = b & 0x7f;
  if (b & 0x80) {
    b = buf[c.pos++]!;
    n |= (b & 0x7f) << 7;
    if (b & 0x80) {
      b = buf[c.pos++]!;
      n |= (b & 0x7f) << 14;
      if (b & 0x80) {
        b = buf[c.pos++]!;
        n |= (b & 0x7f) << 21;
        if (b & 0x80) {
          // Float arithmetic from 28 bits on; exact while below 2^53.
          let f = n;
          let k = 268_435_456;
          for (let i = 0; i < 4; i++) {
            b = buf[c.pos++]!;
            f += (b & 0x7f) * k;
            k *= 128;
            if (!(b & 0x80)) {
              if (f >= 9_007_199_254_740_992) throw decline;
              return f % 2 ? -(f + 1) / 2 : f / 2;
            }
          }
          throw decline;
        }
      }
    }
  }
  return (n >>> 1) ^ -(n & 1);
}

function writeLong(s: Sink, n: number): void {
  const buf = s.buf;
  if (n >= -1_073_741_824 && n < 1_073_741_824) {
    let m = n >= 0 ? n << 1 : (~n << 1) | 1;
    while (m > 0x7f) {
      buf[s.pos++] = (m & 0x7f) | 0x80;
      m >>>= 7;
    }
    buf[s.pos++] = m;
    return;
  }
  // 2|n| must stay exact as a float: below 2^52 it is, beyond take the bigint path.
  if (n <= -4_503_599_627_370_496 || n >= 4_503_599_627_370_496) {
    writeBigLong(s, BigInt(n));
    return;
  }
  let f = n >= 0 ? n * 2 : -n * 2 - 1;
  while (f >= 128) {
    buf[s.pos++] = (f % 128) | 0x80;
    f = Math.floor(f / 128);
  }
  buf[s.pos++] = f;
}

const TWO_POW_63 = 2n ** 63n;

/** 64-bit scratch: a bigint crosses to and from two 32-bit halves here, not by bigint arithmetic. */
const scratch = new DataView(new ArrayBuffer(8));

/** A zigzag varint read as a bigint (timestamps in ns exceed 2^53). */
function readBigLong(c: Cursor): bigint {
  const buf = c.buf;
  let lo = 0;
  let shift = 0;
  let b: number;
  // Low 28 bits with integer arithmetic, the rest (≤ 36 bits) as an exact float.
  do {
    b = buf[c.pos++]!;
    lo |= (b & 0x7f) << shift;
    shift += 7;
  } while (b & 0x80 && shift < 28);
  let hi = 0;
  if (b & 0x80) {
    let k = 1;
    let i = 0;
    do {
      if (++i > 6) throw decline;
      b = buf[c.pos++]!;
      hi += (b & 0x7f) * k;
      k *= 128;
    } while (b & 0x80);
    if (hi >= 2 ** 36) throw decline; // wider than 64 bits
  }
  // z = hi·2^28 + lo; the value is z >>> 1, bitwise complemented when z is odd.
  let low = ((lo >>> 1) | ((hi % 32) << 27)) >>> 0;
  let high = Math.floor(hi / 32) | 0;
  if (lo & 1) {
    low = ~low >>> 0;
    high = ~high;
  }
  scratch.setUint32(0, low, true);
  scratch.setInt32(4, high, true);
  return scratch.getBigInt64(0, true);
}

/** `n` must fit in 64 bits (callers check). */
function writeBigLong(s: Sink, n: bigint): void {
  scratch.setBigInt64(0, n, true);
  const lo = scratch.getUint32(0, true);
  const hi = scratch.getInt32(4, true);
  // Zigzag on the two halves: (n << 1) ^ (n >> 63).
  const sign = hi >> 31;
  let zlo = ((lo << 1) ^ sign) >>> 0;
  let zhi = (((hi << 1) | (lo >>> 31)) ^ sign) >>> 0;
  const buf = s.buf;
  let pos = s.pos;
  while (zhi !== 0 || zlo >= 128) {
    buf[pos++] = (zlo & 0x7f) | 0x80;
    zlo = ((zlo >>> 7) | ((zhi & 0x7f) << 25)) >>> 0;
    zhi >>>= 7;
  }
  buf[pos++] = zlo;
  s.pos = pos;
}

// --- field codecs ------------------------------------------------------------

/** Node's unchecked UTF-8 primitives behind Buffer#toString/#write (avsc uses them too). */
interface Utf8Buffer extends Buffer {
  utf8Slice(start: number, end: number): string;
  utf8Write(s: string, offset: number, length: number): number;
}

const stringCodec: FieldCodec = {
  read(c) {
    const len = readLong(c);
    const start = c.pos;
    const end = start + len;
    if (len < 0 || end > c.buf.length) throw decline;
    c.pos = end;
    return (c.buf as Utf8Buffer).utf8Slice(start, end);
  },
  write(s, v) {
    if (typeof v !== "string") throw decline;
    const n = v.length;
    ensure(s, n * 3 + 10);
    // ASCII (the usual case): one byte per char, length known up front.
    const lenAt = s.pos;
    writeLong(s, n);
    const buf = s.buf;
    let pos = s.pos;
    for (let i = 0; i < n; i++) {
      const ch = v.charCodeAt(i);
      if (ch >= 0x80) {
        // Not ASCII: UTF-8 with its byte length (a lone surrogate is left to the serde).
        if (!v.isWellFormed()) throw decline;
        s.pos = lenAt;
        const bytes = Buffer.byteLength(v, "utf8");
        writeLong(s, bytes);
        s.pos += (s.buf as Utf8Buffer).utf8Write(v, s.pos, bytes);
        return;
      }
      buf[pos++] = ch;
    }
    s.pos = pos;
  },
};

const safeLongCodec: FieldCodec = {
  read: readLong,
  write(s, v) {
    if (!Number.isSafeInteger(v)) throw decline;
    ensure(s, 10);
    writeLong(s, v as number);
  },
};

const nsLongCodec: FieldCodec = {
  read: readBigLong,
  write(s, v) {
    if (typeof v !== "bigint" || v < -TWO_POW_63 || v >= TWO_POW_63) throw decline;
    ensure(s, 10);
    writeBigLong(s, v);
  },
};

const booleanCodec: FieldCodec = {
  read(c) {
    const b = c.buf[c.pos++];
    if (b !== 0 && b !== 1) throw decline;
    return b === 1;
  },
  write(s, v) {
    if (typeof v !== "boolean") throw decline;
    ensure(s, 1);
    s.buf[s.pos++] = v ? 1 : 0;
  },
};

function enumCodec(symbols: readonly string[]): FieldCodec {
  const index = new Map(symbols.map((sym, i) => [sym, i]));
  return {
    read(c) {
      const i = readLong(c);
      const sym = symbols[i];
      if (sym === undefined) throw decline;
      return sym;
    },
    write(s, v) {
      const i = index.get(v as string);
      if (i === undefined) throw decline;
      ensure(s, 5);
      writeLong(s, i);
    },
  };
}

/** `["null", X]` (or `[X, "null"]`): the value or null. */
function nullableCodec(inner: FieldCodec, nullIndex: number): FieldCodec {
  const valueIndex = 1 - nullIndex;
  return {
    read(c) {
      const i = readLong(c);
      if (i === nullIndex) return null;
      if (i !== valueIndex) throw decline;
      return inner.read(c);
    },
    write(s, v) {
      ensure(s, 1);
      if (v === null) {
        s.buf[s.pos++] = nullIndex << 1;
        return;
      }
      s.buf[s.pos++] = valueIndex << 1;
      inner.write(s, v);
    },
  };
}

/**
 * Anything else (e.g. the `fix-code` enums): the reader codec's own type,
 * through avsc's public decode/encode, which knows the logical type.
 */
interface AvscType {
  decode(buf: Buffer, pos?: number): { value: unknown; offset: number };
  toBuffer(v: unknown): Buffer;
  isValid(v: unknown): boolean;
}

function avscCodec(type: AvscType): FieldCodec {
  return {
    read(c) {
      let r: { value: unknown; offset: number };
      try {
        r = type.decode(c.buf, c.pos);
      } catch {
        throw decline; // e.g. an enum index out of range in damaged bytes: the serde reports it
      }
      if (r.offset < 0) throw decline;
      c.pos = r.offset;
      return r.value;
    },
    write(s, v) {
      let bytes: Buffer;
      try {
        bytes = type.toBuffer(v);
      } catch {
        throw decline;
      }
      ensure(s, bytes.length);
      s.pos += bytes.copy(s.buf, s.pos);
    },
  };
}

const isLong = (t: unknown, logical?: string): boolean =>
  t === "long"
    ? logical === undefined
    : typeof t === "object" &&
      t !== null &&
      (t as { type?: unknown }).type === "long" &&
      (t as { logicalType?: unknown }).logicalType === logical;

/** A codec written here for the field's schema, or undefined when avsc must do it. */
function specialised(schema: unknown): FieldCodec | undefined {
  if (schema === "string") return stringCodec;
  if (schema === "boolean") return booleanCodec;
  if (isLong(schema)) return safeLongCodec;
  if (isLong(schema, "timestamp-nanos")) return nsLongCodec;
  if (Array.isArray(schema)) {
    const nullIndex = schema.indexOf("null");
    if (schema.length !== 2 || nullIndex < 0) return undefined;
    const inner = specialised(schema[1 - nullIndex]);
    return inner === undefined ? undefined : nullableCodec(inner, nullIndex);
  }
  if (typeof schema === "object" && schema !== null) {
    const s = schema as { type?: unknown; logicalType?: unknown; symbols?: unknown };
    if (s.type === "enum" && s.logicalType === undefined && Array.isArray(s.symbols)) {
      return enumCodec(s.symbols as string[]);
    }
  }
  return undefined;
}

/** The codec of a field: specialised, else the reader codec's avsc type of that field. */
const fieldCodec = (schema: unknown, avsc: AvscType): FieldCodec =>
  specialised(schema) ?? avscCodec(avsc);

// --- records ---------------------------------------------------------------

interface FieldPlan {
  readonly name: string;
  readonly codec: FieldCodec;
  /** `fx.optional`: undefined in the domain, null on the wire. */
  readonly optional: boolean;
}

/** Reader and writer of one payload type's current schema, envelope to body and back. */
export interface EnvelopeCodec {
  readonly type: string;
  /** The envelope of a whole body (`buf` from `pos` to its end), or undefined: take the serde. */
  read(buf: Buffer, pos: number): Envelope | undefined;
  /** Appends the body to the sink; false (sink position unchanged) when the serde must do it. */
  write(s: Sink, envelope: Envelope): boolean;
}

interface RecordTypeLike {
  readonly fields: ReadonlyArray<{ readonly name: string; readonly type: AvscType }>;
}

/**
 * Compiles the current schema of one payload type. `readerCodec` is the
 * catalog's avsc codec of the same schema (for fields not specialised here).
 */
export function compileEnvelopeCodec(version: SchemaVersion, readerCodec: unknown): EnvelopeCodec {
  const avscFields = (readerCodec as RecordTypeLike).fields;
  const avscField = (name: string, within: RecordTypeLike = readerCodec as RecordTypeLike) => {
    const f = within.fields.find((x) => x.name === name);
    if (f === undefined) throw new Error(`${version.fullName}: codec has no field ${name}`);
    return f.type;
  };
  let meta: FieldPlan[] | undefined;
  const payload: FieldPlan[] = [];
  const order: Array<"meta" | number> = [];
  for (const field of version.schema.fields) {
    if (field.name === "meta") {
      const metaSchema = field.type as { fields: ReadonlyArray<{ name: string; type: unknown }> };
      const metaType = avscField("meta") as unknown as RecordTypeLike;
      meta = metaSchema.fields.map((f) => ({
        name: f.name,
        codec: fieldCodec(f.type, avscField(f.name, metaType)),
        optional: false,
      }));
      order.push("meta");
      continue;
    }
    order.push(payload.length);
    payload.push({
      name: field.name,
      codec: fieldCodec(field.type, avscField(field.name)),
      optional: field["fx.optional"] === true,
    });
  }
  if (meta === undefined) throw new Error(`${version.fullName}: schema has no meta field`);
  if (avscFields.length !== version.schema.fields.length) {
    throw new Error(`${version.fullName}: codec and schema disagree`);
  }
  const metaPlan = meta;
  const type = version.name;
  const cursor: Cursor = { buf: Buffer.alloc(0), pos: 0 };

  const readMeta = (c: Cursor): EnvelopeMeta => {
    const m: Record<string, unknown> = {};
    for (const f of metaPlan) m[f.name] = f.codec.read(c);
    return m as unknown as EnvelopeMeta;
  };

  return {
    type,
    read(buf, pos) {
      cursor.buf = buf;
      cursor.pos = pos;
      try {
        let m: EnvelopeMeta | undefined;
        const p: Record<string, unknown> = { type };
        for (const step of order) {
          if (step === "meta") {
            m = readMeta(cursor);
            continue;
          }
          const f = payload[step]!;
          const v = f.codec.read(cursor);
          if (v === null && f.optional) continue;
          p[f.name] = v;
        }
        if (cursor.pos !== buf.length || m === undefined) return undefined;
        return { meta: m, payload: p as unknown as Payload };
      } catch (e) {
        if (e === decline || e instanceof RangeError) return undefined;
        throw e;
      } finally {
        cursor.buf = EMPTY;
      }
    },
    write(s, envelope) {
      const start = s.pos;
      const p = envelope.payload as unknown as Record<string, unknown>;
      const m = envelope.meta as unknown as Record<string, unknown>;
      try {
        for (const step of order) {
          if (step === "meta") {
            for (const f of metaPlan) f.codec.write(s, m[f.name]);
            continue;
          }
          const f = payload[step]!;
          const v = p[f.name];
          f.codec.write(s, v === undefined && f.optional ? null : v);
        }
        return true;
      } catch (e) {
        s.pos = start;
        if (e === decline) return false;
        throw e;
      }
    },
  };
}

const EMPTY = Buffer.alloc(0);
