import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import {
  type BatchRecord,
  crc32c,
  encodeProduceBody,
  encodeRecordBatch,
} from "../../src/kafka/record-batch.ts";

// Our one-pass record batch must be byte-for-byte what kafkajs's encoder
// (which the broker has always accepted from us) writes for the same input.

const require = createRequire(import.meta.url);
const { RecordBatch } = require("kafkajs/src/protocol/recordBatch/v0") as {
  RecordBatch: (o: Record<string, unknown>) => Promise<{ buffer: Buffer }>;
};
const Record = require("kafkajs/src/protocol/recordBatch/record/v0") as (
  o: Record<string, unknown>,
) => unknown;
const produceV3 = require("kafkajs/src/protocol/requests/produce/v3/request") as (
  o: Record<string, unknown>,
) => { encode: () => Promise<{ buffer: Buffer }> };
const Long = require("kafkajs/src/utils/long") as { fromString: (s: string) => unknown };

async function kafkajsBatch(
  records: readonly BatchRecord[],
  o: {
    producerId: string;
    producerEpoch: number;
    baseSequence: number;
    transactional: boolean;
    now: number;
  },
): Promise<Buffer> {
  const ts = records.map((r) => (r.timestamp === undefined ? o.now : Number(r.timestamp)));
  const first = Math.min(...ts);
  const batch = await RecordBatch({
    compression: 0,
    records: records.map((r, i) =>
      Record({ ...r, offsetDelta: i, timestampDelta: ts[i]! - first }),
    ),
    firstTimestamp: first,
    maxTimestamp: Math.max(...ts),
    producerId: Long.fromString(o.producerId),
    producerEpoch: o.producerEpoch,
    firstSequence: o.baseSequence,
    transactional: o.transactional,
    lastOffsetDelta: records.length - 1,
  });
  return batch.buffer;
}

function seeded(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe("crc32c", () => {
  it("matches the standard check value and kafkajs's implementation", () => {
    expect(crc32c(Buffer.from("123456789"))).toBe(0xe3069283);
    const kjs = require("kafkajs/src/protocol/recordBatch/crc32C/crc32C") as (b: Buffer) => number;
    const rnd = seeded(7);
    for (const len of [0, 1, 7, 8, 9, 63, 64, 1000, 4099]) {
      const b = Buffer.from(Array.from({ length: len }, () => Math.floor(rnd() * 256)));
      expect(crc32c(b)).toBe(kjs(b));
    }
  });
});

describe("encodeRecordBatch", () => {
  const header = {
    producerId: "4242",
    producerEpoch: 3,
    baseSequence: 1017,
    transactional: true,
    now: 1_790_000_000_123,
  };
  it("writes the bytes kafkajs writes: keys, null keys/values, headers (repeated too), unicode", async () => {
    const records: BatchRecord[] = [
      {
        key: "EURUSD",
        value: Buffer.from([0, 1, 2, 3]),
        headers: { "fx-event-type": "TradeExecuted" },
      },
      { key: null, value: "plain text ü €", headers: { a: Buffer.from("x"), b: ["1", "22"] } },
      { key: Buffer.from("k"), value: null },
      { key: "USDJPY", value: Buffer.alloc(300, 7), headers: {} },
    ];
    expect(encodeRecordBatch(header, records)).toEqual(await kafkajsBatch(records, header));
  });
  it("matches kafkajs on random batches, with and without record timestamps and transactions", async () => {
    const rnd = seeded(99);
    for (let round = 0; round < 30; round++) {
      const n = 1 + Math.floor(rnd() * 200);
      const withTs = round % 3 === 0;
      const records: BatchRecord[] = Array.from({ length: n }, (_, i) => ({
        key: rnd() < 0.1 ? null : `K${Math.floor(rnd() * 1e6)}`,
        value: Buffer.from(
          Array.from({ length: Math.floor(rnd() * 400) }, () => Math.floor(rnd() * 256)),
        ),
        ...(rnd() < 0.7
          ? { headers: { traceparent: `00-${"ab".repeat(16)}-${"cd".repeat(8)}-01`, t: String(i) } }
          : {}),
        ...(withTs ? { timestamp: String(1_790_000_000_000 + Math.floor(rnd() * 100_000)) } : {}),
      }));
      const h = { ...header, transactional: round % 2 === 0, baseSequence: round * 1000 };
      expect(encodeRecordBatch(h, records)).toEqual(await kafkajsBatch(records, h));
    }
  });
  it("refuses an empty batch", () => {
    expect(() => encodeRecordBatch(header, [])).toThrow("at least one record");
  });
});

describe("encodeProduceBody", () => {
  it("is the Produce v3 body kafkajs frames (transactional id, acks, timeout, topics, partitions, batches)", async () => {
    const batch = encodeRecordBatch(header(), [{ key: "k", value: "v" }]);
    const batch2 = encodeRecordBatch(header(), [{ key: "k2", value: "v2" }]);
    const ours = encodeProduceBody("txn.fx.orders.0", -1, 30_000, [
      {
        topic: "fx.executions",
        partitions: [
          { partition: 0, batch },
          { partition: 3, batch: batch2 },
        ],
      },
    ]);
    // Decode by hand: the layout the broker reads.
    let pos = 0;
    const idLen = ours.readInt16BE(pos);
    pos += 2;
    expect(ours.toString("utf8", pos, pos + idLen)).toBe("txn.fx.orders.0");
    pos += idLen;
    expect(ours.readInt16BE(pos)).toBe(-1);
    expect(ours.readInt32BE(pos + 2)).toBe(30_000);
    expect(ours.readInt32BE(pos + 6)).toBe(1);
    pos += 10;
    const tLen = ours.readInt16BE(pos);
    expect(ours.toString("utf8", pos + 2, pos + 2 + tLen)).toBe("fx.executions");
    pos += 2 + tLen;
    expect(ours.readInt32BE(pos)).toBe(2);
    pos += 4;
    for (const [p, b] of [
      [0, batch],
      [3, batch2],
    ] as const) {
      expect(ours.readInt32BE(pos)).toBe(p);
      expect(ours.readInt32BE(pos + 4)).toBe(b.length);
      expect(ours.subarray(pos + 8, pos + 8 + b.length)).toEqual(b);
      pos += 8 + b.length;
    }
    expect(pos).toBe(ours.length);
    // And the same bytes as kafkajs's v3 request for a null transactional id prefix.
    const nullId = encodeProduceBody(null, 1, 5, []);
    const kjs = await produceV3({ acks: 1, timeout: 5, topicData: [] }).encode();
    expect(nullId).toEqual(kjs.buffer);
  });
  function header() {
    return { producerId: "1", producerEpoch: 0, baseSequence: 0, transactional: true, now: 1 };
  }
});
