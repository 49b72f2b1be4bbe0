// The reader codecs' longs (plain → safe JS number, timestamp-nanos → bigint)
// write and read the Avro zigzag varint themselves: checked here against an
// independent BigInt encoder over the whole ranges, and against avsc's own long.
import type avro from "avsc";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { readerType, writerType } from "../src/catalog/avro-types.ts";

const schema = {
  type: "record",
  name: "L",
  namespace: "fx.test",
  fields: [
    { name: "n", type: "long" },
    { name: "t", type: { type: "long", logicalType: "timestamp-nanos" } },
    { name: "o", type: ["null", "long"], default: null },
  ],
} as const;
const codec = readerType(schema as unknown as avro.Schema);

/** Avro's long encoding, written out from the spec: zigzag, then 7 bits per byte, low first. */
const varint = (n: bigint): number[] => {
  let z = BigInt.asUintN(64, (n << 1n) ^ (n >> 63n));
  const out: number[] = [];
  while (z >= 0x80n) {
    out.push(Number(z & 0x7fn) | 0x80);
    z >>= 7n;
  }
  out.push(Number(z));
  return out;
};

const safeInts = fc.oneof(
  fc.integer(),
  fc.maxSafeInteger(),
  fc.constantFrom(0, -1, 2 ** 48 - 1, -(2 ** 48) + 1, 2 ** 48, -(2 ** 48)),
  fc.constantFrom(Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER),
);
const int64s = fc.oneof(
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
  fc.constantFrom(-(2n ** 63n), 2n ** 63n - 1n, 0n, -1n, 1_795_000_000_000_000_000n),
);

describe("reader longs", () => {
  it("write the spec's bytes and read them back exactly, over the whole ranges", () => {
    fc.assert(
      fc.property(safeInts, int64s, fc.option(safeInts), (n, t, o) => {
        const bytes = codec.toBuffer({ n, t, o });
        const want = [
          ...varint(BigInt(n)),
          ...varint(t),
          ...(o === null ? [0] : [2, ...varint(BigInt(o))]),
        ];
        expect([...bytes]).toEqual(want);
        expect(codec.fromBuffer(bytes)).toEqual({ n, t, o });
      }),
      { numRuns: 2000 },
    );
  });

  it("read what avsc's plain long writes (a writer schema from the registry)", () => {
    const plain = writerType(schema as unknown as avro.Schema);
    const resolver = codec.createResolver(plain);
    fc.assert(
      fc.property(
        fc.integer({ min: -(2 ** 49), max: 2 ** 49 }),
        fc.option(fc.integer()),
        (n, o) => {
          const bytes = plain.toBuffer({ n, t: n * 7, o });
          expect(codec.fromBuffer(bytes, resolver)).toEqual({ n, t: BigInt(n) * 7n, o });
          expect([...codec.toBuffer({ n, t: BigInt(n) * 7n, o })]).toEqual([...bytes]);
        },
      ),
    );
  });

  it("refuse values outside their ranges, and bytes that do not fit, as before", () => {
    expect(() => codec.toBuffer({ n: 2 ** 53, t: 0n, o: null })).toThrow();
    expect(() => codec.toBuffer({ n: 1.5, t: 0n, o: null })).toThrow();
    expect(() => codec.toBuffer({ n: 0, t: 2n ** 63n, o: null })).toThrow();
    expect(() => codec.toBuffer({ n: 0, t: 5, o: null })).toThrow();
    // 2^53 on the wire does not fit a safe number: refused, not rounded.
    expect(() => codec.fromBuffer(Buffer.from([...varint(2n ** 53n), 0, 0]))).toThrow();
    // Truncated inside a varint.
    expect(() => codec.fromBuffer(Buffer.from([0x80, 0x80]))).toThrow();
    expect(() => codec.fromBuffer(Buffer.from([0, 0xff, 0xff, 0xff]))).toThrow();
  });
});
