import { randomBytes, randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { BinaryCopyRows } from "../../src/projector/copy-binary.ts";

// One field's bytes: the stream minus the 19-byte header, the 2-byte field
// count and the 2-byte trailer.
const field = (write: (o: BinaryCopyRows) => void): Buffer => {
  const o = new BinaryCopyRows().row(1);
  write(o);
  const all = o.finish();
  return all.subarray(21, all.length - 2);
};
const int8Reference = (v: number | bigint) => {
  const b = Buffer.alloc(12);
  b.writeInt32BE(8, 0);
  b.writeBigInt64BE(BigInt(v), 4);
  return b;
};

describe("binary COPY fields", () => {
  it("given safe integers of every size and sign, then int8 writes the 8-byte two's complement", () => {
    const values = [0, 1, -1, 2 ** 31, -(2 ** 31), 2 ** 32 - 1, 2 ** 32, -(2 ** 32) - 1];
    values.push(Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER);
    for (let i = 0; i < 2_000; i++) {
      const v = Math.floor((Math.random() - 0.5) * 2 ** (1 + Math.floor(Math.random() * 53)));
      values.push(Number.isSafeInteger(v) ? v : 0);
    }
    for (const v of values) expect(field((o) => o.int8(v)).equals(int8Reference(v))).toBe(true);
    for (const v of [2n ** 62n, -(2n ** 63n), 5n])
      expect(field((o) => o.int8(v)).equals(int8Reference(v))).toBe(true);
    expect(() => field((o) => o.int8(2 ** 60))).toThrow(RangeError);
    expect(() => field((o) => o.int8(1.5))).toThrow(RangeError);
  });

  it("given uuids in either case, then uuid writes their 16 bytes; other forms are refused", () => {
    for (let i = 0; i < 500; i++) {
      const u = i % 2 ? randomUUID() : randomUUID().toUpperCase();
      const expected = Buffer.concat([
        Buffer.from([0, 0, 0, 16]),
        Buffer.from(u.replaceAll("-", ""), "hex"),
      ]);
      expect(field((o) => o.uuid(u)).equals(expected)).toBe(true);
    }
    const good = randomUUID();
    const bad = [
      "",
      good.slice(1),
      `${good}0`,
      good.replace("-", "0"),
      `g${good.slice(1)}`,
      `${good.slice(0, 35)}é`,
      randomBytes(18).toString("hex"),
    ];
    for (const b of bad) expect(() => field((o) => o.uuid(b))).toThrow(RangeError);
  });
});
