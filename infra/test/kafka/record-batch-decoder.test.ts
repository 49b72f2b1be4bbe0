import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { type BatchRecord, encodeRecordBatch } from "../../src/kafka/record-batch.ts";
import {
  type KafkajsDecoder,
  leanRecordBatchDecoder,
} from "../../src/kafka/record-batch-decoder.ts";

// The lean fetch-side decoder must return exactly what kafkajs's record batch
// decoder returns (the consumer and the matcher read those objects), leave the
// fetch decoder at the same place, and hand what it does not handle to kafkajs.

const require = createRequire(import.meta.url);
const Decoder = require("kafkajs/src/protocol/decoder") as new (buffer: Buffer) => KafkajsDecoder;
const kafkajsDecode = require("kafkajs/src/protocol/recordBatch/v0/decoder") as (
  d: KafkajsDecoder,
) => Promise<unknown>;
const lean = leanRecordBatchDecoder(kafkajsDecode);

let seed = 7;
const rnd = (n: number) => {
  seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
  return seed % n;
};
const text = (n: number) => Array.from({ length: n }, () => "aé€𝄞z"[rnd(5)]!).join("");

function randomRecords(n: number): BatchRecord[] {
  return Array.from({ length: n }, (_, i) => {
    const headers: Record<string, Buffer | string | Array<Buffer | string>> = {};
    const h = rnd(4);
    for (let j = 0; j < h; j++) headers[`h${rnd(3)}${text(rnd(3))}`] = text(rnd(20));
    if (rnd(4) === 0) headers.dup = [Buffer.from("a"), Buffer.from(""), Buffer.from("c")];
    return {
      key: rnd(5) === 0 ? null : text(rnd(12)),
      value: rnd(9) === 0 ? null : Buffer.from(text(rnd(300))),
      headers,
      // Timestamps before and after the batch's first one (negative deltas too).
      timestamp: String(1_763_900_000_000 + rnd(100_000) - 50_000 + i),
    };
  });
}

function batch(
  records: BatchRecord[],
  firstOffset: bigint,
  o: { transactional?: boolean; attributes?: number } = {},
): Buffer {
  const b = encodeRecordBatch(
    {
      producerId: 4_000_000_123,
      producerEpoch: 3,
      baseSequence: 17,
      transactional: o.transactional ?? false,
      now: 1_763_900_000_000,
    },
    records,
  );
  b.writeBigInt64BE(firstOffset, 0);
  if (o.attributes !== undefined) b.writeInt16BE(b.readInt16BE(21) | o.attributes, 21);
  return b;
}

async function decodeAll(
  buf: Buffer,
  decode: (d: KafkajsDecoder) => Promise<unknown>,
): Promise<{ batches: unknown[]; offset: number; error?: string }> {
  const d = new Decoder(buf);
  const batches: unknown[] = [];
  try {
    while (d.offset < buf.length) batches.push(await decode(d));
  } catch (e) {
    return { batches, offset: d.offset, error: (e as Error).name };
  }
  return { batches, offset: d.offset };
}

describe("lean record batch decoder", () => {
  it("returns what kafkajs returns for random batches, offsets small and beyond 2^53", async () => {
    for (let round = 0; round < 30; round++) {
      const parts = [
        batch(randomRecords(1 + rnd(40)), BigInt(rnd(1_000_000))),
        batch(randomRecords(1 + rnd(40)), 2n ** 53n - 5n + BigInt(rnd(10)), {
          transactional: true,
        }),
        batch(randomRecords(1 + rnd(5)), 2n ** 62n + BigInt(rnd(1000))),
        // Log-append time: every record gets the batch's max timestamp.
        batch(randomRecords(1 + rnd(5)), 42n, { attributes: 0x08 }),
        // A control batch (transaction marker flag set).
        batch(randomRecords(1), 43n, { transactional: true, attributes: 0x20 }),
      ];
      const buf = Buffer.concat(parts);
      let delegated = 0;
      const ours = await decodeAll(
        buf,
        leanRecordBatchDecoder((d) => {
          delegated++;
          return kafkajsDecode(d);
        }),
      );
      const theirs = await decodeAll(buf, kafkajsDecode);
      expect(delegated).toBe(0);
      expect(ours.error).toBeUndefined();
      expect(ours).toEqual(theirs);
      const first = (ours.batches[0] as { records: { offset: string }[] }).records;
      expect(first.length).toBeGreaterThan(0);
    }
  });

  it("leaves a partial batch at the end of a fetch to kafkajs (its partial-batch error)", async () => {
    const whole = batch(randomRecords(10), 100n);
    const buf = Buffer.concat([whole, whole.subarray(0, whole.length - 7)]);
    const ours = await decodeAll(buf, lean);
    const theirs = await decodeAll(buf, kafkajsDecode);
    expect(ours.error).toBe("KafkaJSPartialMessageError");
    expect(ours).toEqual(theirs);
    expect(ours.batches).toHaveLength(1);
  });

  it("hands compressed and malformed batches to kafkajs's decoder", async () => {
    const seen: number[] = [];
    const spy = async (d: KafkajsDecoder) => {
      seen.push(d.offset);
      return kafkajsDecode(d);
    };
    const decode = leanRecordBatchDecoder(spy);
    // gzip flag on bytes that are not gzip: kafkajs's decoder fails on it.
    const gz = batch(randomRecords(3), 5n, { attributes: 0x01 });
    await expect(decode(new Decoder(gz))).rejects.toThrow();
    expect(seen).toEqual([0]);
    // A record claiming more bytes than its batch holds.
    const bad = batch(randomRecords(3), 5n);
    bad[61] = 0x7e;
    const ours = await decodeAll(bad, decode).catch((e: Error) => ({ thrown: e.name }));
    const theirs = await decodeAll(bad, kafkajsDecode).catch((e: Error) => ({ thrown: e.name }));
    expect(seen).toEqual([0, 0]);
    expect(ours).toEqual(theirs);
  });
});
