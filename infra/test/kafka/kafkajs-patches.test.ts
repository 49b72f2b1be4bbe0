import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { createKafka } from "../../src/kafka/client.ts";

// What createKafka changes in kafkajs. kafkajs re-armed a 1 ms timer per connection forever, busy or idle; with
// the wrapper's fix an empty, unthrottled queue arms nothing, and a queue
// with waiting requests (or a throttle in force) still checks again.
const require = createRequire(import.meta.url);
const RequestQueue = require("kafkajs/src/network/requestQueue/index.js") as new (
  options: Record<string, unknown>,
) => {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: ReturnType<typeof setTimeout> | null;
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
};

const newQueue = () => {
  createKafka({ brokers: "127.0.0.1:1", clientId: "idle-timer-test" });
  const noop = () => {};
  return new RequestQueue({
    maxInFlightRequests: 1,
    requestTimeout: 1000,
    enforceRequestTimeout: false,
    clientId: "idle-timer-test",
    broker: "127.0.0.1:1",
    logger: { debug: noop, info: noop, warn: noop, error: noop },
  });
};

describe("kafkajs request queue timers after createKafka", () => {
  it("arms no timer when nothing waits and no throttle is in force", () => {
    const q = newQueue();
    q.checkPendingRequests();
    expect(q.throttleCheckTimeoutId).toBeNull();
  });

  it("still checks again while requests wait", () => {
    const q = newQueue();
    q.pending.push({});
    q.scheduleCheckPendingRequests();
    expect(q.throttleCheckTimeoutId).not.toBeNull();
    clearTimeout(q.throttleCheckTimeoutId!);
  });

  it("still checks again when a throttle ends", () => {
    const q = newQueue();
    q.throttledUntil = Date.now() + 50;
    q.scheduleCheckPendingRequests();
    expect(q.throttleCheckTimeoutId).not.toBeNull();
    clearTimeout(q.throttleCheckTimeoutId!);
  });
});

describe("kafkajs fetch decoding after createKafka", () => {
  it("decodes record batches with the lean decoder, records as kafkajs shapes them", async () => {
    createKafka({ brokers: "127.0.0.1:1", clientId: "lean-decoder-test" });
    const decodeMessages = require("kafkajs/src/protocol/requests/fetch/v4/decodeMessages.js") as (
      d: unknown,
    ) => Promise<Array<{ offset: string; value: Buffer; headers: Record<string, Buffer> }>>;
    const Decoder = require("kafkajs/src/protocol/decoder") as new (b: Buffer) => unknown;
    const { encodeRecordBatch } = await import("../../src/kafka/record-batch.ts");
    const batch = encodeRecordBatch(
      { producerId: 1, producerEpoch: 0, baseSequence: 0, transactional: false, now: 1_000 },
      [
        { key: "EURUSD", value: Buffer.from("a"), headers: { t: "x" } },
        { key: "EURUSD", value: Buffer.from("b") },
      ],
    );
    batch.writeBigInt64BE(41n, 0);
    const size = Buffer.alloc(4);
    size.writeInt32BE(batch.length);
    const records = await decodeMessages(new Decoder(Buffer.concat([size, batch])));
    expect(records.map((r) => [r.offset, r.value.toString(), r.headers.t?.toString()])).toEqual([
      ["41", "a", "x"],
      ["42", "b", undefined],
    ]);
    const installed = require("kafkajs/src/protocol/recordBatch/v0/decoder.js") as () => unknown;
    expect(installed.toString()).toContain("fetchDecoder.buffer");
  });
});
