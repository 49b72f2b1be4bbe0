// How avsc turns our schemas into codecs. Readers (the schemas in this repo)
// get custom longs and a FIX-code enum type; writers (schemas fetched by id)
// are parsed plainly: avsc resolution reads every value with the reader's
// type, so only the reader needs to know that a timestamp is a bigint or that
// an enum is a FIX code.

import { CxlRejReason, OrdRejReason } from "@fxcore/domain";
import avro from "avsc";

export type AvroType = avro.Type;
export type AvroSchema = avro.Schema;

/** `{"type":"long","logicalType":"timestamp-nanos"}` (Avro 1.12) read as a JS bigint: ns since the epoch exceed 2^53. */
const bigintLong = avro.types.LongType.__with({
  fromBuffer: (buf: Buffer) => buf.readBigInt64LE(),
  toBuffer: (n: bigint) => {
    const buf = Buffer.alloc(8);
    buf.writeBigInt64LE(n);
    return buf;
  },
  fromJSON: (v: unknown) => BigInt(v as string | number | bigint),
  toJSON: (n: bigint) => n.toString(),
  isValid: (v: unknown) => typeof v === "bigint" && v >= -(2n ** 63n) && v < 2n ** 63n,
  compare: (a: bigint, b: bigint) => (a === b ? 0 : a < b ? -1 : 1),
});

/**
 * Plain `long` read as a JS number over exactly the safe-integer range
 * (prices in ticks, quantities, sequences). avsc's own long stops 1 short of
 * Number.MAX_SAFE_INTEGER; anything outside the range fails to decode rather
 * than silently rounding.
 */
const safeLong = avro.types.LongType.__with({
  fromBuffer: (buf: Buffer) => {
    const n = buf.readBigInt64LE();
    if (n > BigInt(Number.MAX_SAFE_INTEGER) || n < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw new Error(`long ${n} is outside the safe integer range`);
    }
    return Number(n);
  },
  toBuffer: (n: number) => {
    const buf = Buffer.alloc(8);
    buf.writeBigInt64LE(BigInt(n));
    return buf;
  },
  fromJSON: (v: unknown) => Number(v),
  toJSON: (n: number) => n,
  isValid: (v: unknown) => Number.isSafeInteger(v),
  compare: (a: number, b: number) => (a === b ? 0 : a < b ? -1 : 1),
});

// Fast paths for the two longs. avsc's abstract long packs every value through
// an 8-byte Buffer (allocated per write) and a byte-by-byte repacking loop; on
// the write side of command-service that was most of the Avro cost. The varint
// is written and read on avsc's tap directly instead, with the same bytes;
// values the fast path cannot carry exactly go the abstract way.

/** avsc's Tap, as far as these paths use it. */
interface Tap {
  buf: Buffer;
  pos: number;
  readLong(): number;
  writeLong(n: number): void;
}
type LongInternals = { _read(tap: Tap): unknown; _write(tap: Tap, v: unknown): void };

/**
 * A copy of an abstract long (from `LongType.__with`) whose `_read`/`_write`
 * are `fast(slowRead, slowWrite)`. `__with` freezes its result, so the copy is
 * built the way `__with` builds it, with the fast methods set before freezing.
 */
const withFastVarint = (
  template: AvroType,
  fast: (slow: LongInternals) => LongInternals,
): AvroType => {
  const Ctor = Object.getPrototypeOf(template).constructor as new (
    noUnpack: boolean,
  ) => AvroType & LongInternals;
  const t = new Ctor(false);
  for (const k of ["_toBuffer", "_fromBuffer", "_fromJSON", "_toJSON", "_isValid", "compare"])
    (t as unknown as Record<string, unknown>)[k] = (template as unknown as Record<string, unknown>)[
      k
    ];
  const proto = Object.getPrototypeOf(t) as LongInternals;
  const { _read, _write } = fast({
    _read: (tap) => proto._read.call(t, tap),
    _write: (tap, v) => proto._write.call(t, tap, v),
  });
  t._read = _read;
  t._write = _write;
  return Object.freeze(t);
};

/** |n| below this: zigzag < 2^49, at most 7 varint bytes, exact in float arithmetic. */
const FAST_SAFE = 2 ** 48;

const fastSafeLong = (slow: LongInternals): LongInternals => ({
  _write: (tap, v) => {
    if (typeof v === "number" && Number.isInteger(v) && v < FAST_SAFE && v > -FAST_SAFE)
      tap.writeLong(v);
    else slow._write(tap, v);
  },
  _read: (tap) => {
    const buf = tap.buf;
    let end = tap.pos;
    while ((buf[end++] ?? 0) & 0x80) {}
    return end - tap.pos <= 7 && end <= buf.length ? tap.readLong() : slow._read(tap);
  },
});

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

const fastBigintLong = (slow: LongInternals): LongInternals => ({
  _write: (tap, v) => {
    if (typeof v !== "bigint" || v < INT64_MIN || v > INT64_MAX) {
      slow._write(tap, v); // refuses it, as before
      return;
    }
    const z = BigInt.asUintN(64, (v << 1n) ^ (v >> 63n));
    let lo = Number(z & 0xffffffffn);
    let hi = Number(z >> 32n);
    const buf = tap.buf;
    let pos = tap.pos;
    // Past the end the bytes are dropped and pos still moves: avsc then grows its buffer and writes again.
    while (hi !== 0 || lo > 0x7f) {
      buf[pos++] = (lo & 0x7f) | 0x80;
      lo = ((lo >>> 7) | ((hi & 0x7f) << 25)) >>> 0;
      hi >>>= 7;
    }
    buf[pos++] = lo;
    tap.pos = pos;
  },
  _read: (tap) => {
    const buf = tap.buf;
    const start = tap.pos;
    let end = start;
    while ((buf[end++] ?? 0) & 0x80) {}
    if (end > buf.length || end - start > 10) return slow._read(tap);
    // 28 low bits in integer arithmetic, the rest (≤ 36 bits) exact in a double.
    let low = 0;
    let high = 0;
    let scale = 1;
    for (let i = start; i < end; i++) {
      const b = (buf[i] as number) & 0x7f;
      const k = i - start;
      if (k < 4) low |= b << (7 * k);
      else {
        high += b * scale;
        scale *= 128;
      }
    }
    tap.pos = end;
    const z = BigInt.asUintN(64, (BigInt(high) << 28n) | BigInt(low));
    return (z >> 1n) ^ -(z & 1n);
  },
});

const longKind = (schema: unknown): "ns" | "plain" | undefined => {
  if (schema === "long") return "plain";
  if (typeof schema !== "object" || schema === null) return undefined;
  const s = schema as { type?: unknown; logicalType?: unknown };
  if (s.type !== "long") return undefined;
  return s.logicalType === "timestamp-nanos" ? "ns" : "plain";
};

/** FIX code tables by enum name; symbols are the UPPER_SNAKE form of the domain's keys. */
const fixCodeTables: Readonly<Record<string, Readonly<Record<string, number>>>> = {
  OrdRejReason,
  CxlRejReason,
};

export const upperSnake = (key: string): string =>
  key.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase();

/** Symbol → FIX code for a `fix-code` enum, or undefined when the enum is not one we know. */
export function fixCodesFor(enumName: string): ReadonlyMap<string, number> | undefined {
  const short = enumName.slice(enumName.lastIndexOf(".") + 1);
  const table = fixCodeTables[short];
  if (table === undefined) return undefined;
  return new Map(Object.entries(table).map(([k, code]) => [upperSnake(k), code]));
}

interface EnumLike extends avro.Type {
  readonly symbols: readonly string[];
  readonly name: string;
}

/** An Avro enum whose values are FIX codes in JS (`reason: 99`) and symbols on the wire (`OTHER`). */
class FixCodeType extends avro.types.LogicalType {
  readonly #toCode: ReadonlyMap<string, number>;
  readonly #toSymbol: ReadonlyMap<number, string>;

  constructor(schema: AvroSchema, opts?: unknown) {
    super(schema, opts);
    const underlying = this.underlyingType as EnumLike;
    const codes = fixCodesFor(underlying.name);
    if (codes === undefined) throw new Error(`fix-code: no FIX code table for ${underlying.name}`);
    const missing = underlying.symbols.filter((s) => !codes.has(s));
    if (missing.length > 0) throw new Error(`fix-code: unknown symbols ${missing.join(",")}`);
    this.#toCode = codes;
    this.#toSymbol = new Map([...codes].map(([s, c]) => [c, s]));
  }

  protected override _fromValue(symbol: string): number {
    const code = this.#toCode.get(symbol);
    if (code === undefined) throw new Error(`fix-code: unknown symbol ${symbol}`);
    return code;
  }

  protected override _toValue(code: unknown): string | undefined {
    return typeof code === "number" ? this.#toSymbol.get(code) : undefined;
  }

  // Resolve against the writer's plain enum so Avro's enum rules (and the
  // enum default for symbols this reader does not know) apply unchanged.
  protected _update(
    resolver: { _read: (tap: unknown) => unknown },
    writer: avro.Type,
    opts?: unknown,
  ): void {
    const writerEnum = writer instanceof avro.types.LogicalType ? writer.underlyingType : writer;
    const inner = this.underlyingType.createResolver(writerEnum, opts as object) as unknown as {
      _read: (tap: unknown) => string;
    };
    resolver._read = (tap) => this._fromValue(inner._read(tap));
  }

  protected override _resolve(): undefined {
    return undefined;
  }
}

const fastSafe = withFastVarint(safeLong, fastSafeLong);
const fastBigint = withFastVarint(bigintLong, fastBigintLong);

/** Codec for a schema this process reads and writes with (the schemas in `avro/`). */
export function readerType(schema: AvroSchema): AvroType {
  return avro.Type.forSchema(schema, {
    wrapUnions: "auto",
    assertLogicalTypes: true,
    logicalTypes: { "fix-code": FixCodeType },
    typeHook: (s) => {
      const kind = longKind(s);
      return kind === "ns" ? fastBigint : kind === "plain" ? fastSafe : undefined;
    },
  });
}

/** Layout-only codec for a writer's schema (e.g. fetched from the registry by id). */
export function writerType(schema: AvroSchema): AvroType {
  return avro.Type.forSchema(schema, { wrapUnions: "auto" });
}
