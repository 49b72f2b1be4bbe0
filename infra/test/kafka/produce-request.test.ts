import { createRequire } from "node:module";
import { afterEach, describe, expect, it, vi } from "vitest";
import { leanProduceRequest, type ProduceRequestArgs } from "../../src/kafka/produce-request.ts";

// Produce requests written with the one-pass record batches must be the bytes
// kafkajs's own Produce v3 encoder writes, for plain, idempotent and
// transactional producers; what the lean path does not mirror stays kafkajs's.

const require = createRequire(import.meta.url);
type Encoded = { buffer: Buffer };
const kafkajsV3 = require("kafkajs/src/protocol/requests/produce/v3/request") as (
  a: ProduceRequestArgs,
) => { encode: () => Promise<Encoded> };
const lean = leanProduceRequest(kafkajsV3);

let seed = 3;
const rnd = (n: number) => {
  seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
  return seed % n;
};
const text = (n: number) => Array.from({ length: n }, () => "aé€𝄞z"[rnd(5)]!).join("");

function messages(n: number, timestamps: boolean) {
  return Array.from({ length: n }, (_, i) => ({
    key: rnd(5) === 0 ? null : rnd(2) ? text(rnd(10)) : Buffer.from(text(rnd(10))),
    value: rnd(9) === 0 ? null : Buffer.from(text(rnd(200))),
    headers: rnd(3)
      ? { "fx-event-type": "OrderAccepted", traceparent: Buffer.from(text(20)) }
      : { dup: ["a", Buffer.from("b"), ""] },
    ...(timestamps ? { timestamp: String(1_763_900_000_000 + rnd(10_000) + i) } : {}),
  }));
}

function args(o: { transactionalId?: string | null; timestamps: boolean }): ProduceRequestArgs {
  return {
    acks: -1,
    timeout: 30_000,
    transactionalId: o.transactionalId ?? null,
    producerId: rnd(2) ? 4_000_000_123 : "4000000124",
    producerEpoch: rnd(5),
    topicData: [
      {
        topic: "fx.orders",
        partitions: [
          { partition: 0, firstSequence: rnd(1000), messages: messages(1 + rnd(30), o.timestamps) },
          { partition: 3, firstSequence: 0, messages: messages(1 + rnd(5), o.timestamps) },
        ],
      },
      { topic: "fx.dlq", partitions: [{ partition: 0, messages: messages(2, o.timestamps) }] },
    ],
  };
}

afterEach(() => vi.restoreAllMocks());

describe("lean Produce request", () => {
  it("writes kafkajs's bytes: plain, idempotent and transactional, with and without timestamps", async () => {
    vi.spyOn(Date, "now").mockReturnValue(1_763_900_123_456);
    for (let round = 0; round < 40; round++) {
      const a = args({
        transactionalId: [null, "fxcore.matcher.fx.orders.0"][round % 2]!,
        timestamps: round % 3 !== 0,
      });
      const ours = (await lean(a).encode()) as Encoded;
      const theirs = await kafkajsV3(a).encode();
      expect(Buffer.compare(ours.buffer, theirs.buffer)).toBe(0);
      expect(ours.constructor).not.toBe(theirs.constructor); // the lean path did write it
    }
  });

  it("leaves compressed requests and timestamps it does not mirror to kafkajs", async () => {
    const compressed = { ...args({ timestamps: true }), compression: 1 };
    const mixed = args({ timestamps: true });
    const odd = {
      ...mixed,
      topicData: [
        {
          topic: "t",
          partitions: [
            {
              partition: 0,
              messages: [
                { value: "a", timestamp: "999" },
                { value: "b", timestamp: "1000" },
              ],
            },
          ],
        },
      ],
    };
    const ours = (await lean(odd).encode()) as Encoded;
    const theirs = await kafkajsV3(odd).encode();
    expect(Buffer.compare(ours.buffer, theirs.buffer)).toBe(0);
    expect(ours.constructor).toBe(theirs.constructor); // kafkajs's own encoder
    const c = (await lean(compressed).encode()) as Encoded;
    expect(c.constructor).toBe(theirs.constructor);
  });
});
