import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { type CopyValue, copyText, copyTextBuffer } from "../../src/projector/copy-rows.ts";

const pick = <T>(xs: readonly T[]): T => xs[Math.floor(Math.random() * xs.length)] as T;
const strings = [
  "",
  "ACC1",
  "a\tb",
  "line\nbreak",
  "cr\r",
  "back\\slash",
  "é",
  "日本",
  "\u0001x",
  "~",
  " ",
];
const randomValue = (): CopyValue => {
  switch (Math.floor(Math.random() * 8)) {
    case 0:
      return null;
    case 1:
      return undefined;
    case 2:
      return pick(strings) + pick(strings);
    case 3:
      return Math.floor((Math.random() - 0.3) * 2 ** (Math.random() * 53));
    case 4:
      return BigInt(Math.floor(Math.random() * 2 ** 53)) * 1_000_000n - 7n;
    case 5:
      return Math.random() < 0.5;
    case 6:
      return randomBytes(Math.floor(Math.random() * 5));
    default:
      return pick([0, 9, 10, 99, 100, Number.MAX_SAFE_INTEGER, -1, 1.5]);
  }
};

describe("COPY text written into Buffers", () => {
  it("given rows of every kind of value, then the bytes equal copyText's", () => {
    for (let round = 0; round < 50; round++) {
      const rows = Array.from({ length: 1 + Math.floor(Math.random() * 40) }, () =>
        Array.from({ length: 1 + Math.floor(Math.random() * 12) }, randomValue),
      );
      expect(copyTextBuffer(rows).equals(Buffer.from(copyText(rows)))).toBe(true);
    }
  });

  it("given more than a chunk of rows, then nothing is lost across chunks", () => {
    const long = "x".repeat(70_000);
    const rows = Array.from({ length: 20 }, (_, i) => [i, long, `${long}\t`, null]);
    expect(copyTextBuffer(rows).equals(Buffer.from(copyText(rows)))).toBe(true);
  });
});
