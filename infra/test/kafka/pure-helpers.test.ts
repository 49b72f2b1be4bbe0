import { describe, expect, it } from "vitest";
import {
  deadLetterRecord,
  fitToCluster,
  retryConcurrentTransactions,
  transactionalIdFor,
} from "../../src/index.ts";

describe("fitToCluster", () => {
  const spec = {
    name: "fx.orders",
    partitions: 12,
    replicationFactor: 3,
    config: { "min.insync.replicas": "2" },
  };
  it("caps the replication factor and min ISR to a one-broker cluster", () => {
    expect(fitToCluster(spec, 1)).toEqual({
      ...spec,
      replicationFactor: 1,
      config: { "min.insync.replicas": "1" },
    });
  });
  it("keeps a spec that fits", () => {
    expect(fitToCluster(spec, 3)).toEqual(spec);
    expect(fitToCluster({ name: "t", partitions: 1, replicationFactor: 1 }, 3)).toEqual({
      name: "t",
      partitions: 1,
      replicationFactor: 1,
    });
  });
});

describe("retryConcurrentTransactions", () => {
  const concurrent = Object.assign(new Error("concurrent"), { type: "CONCURRENT_TRANSACTIONS" });
  it("retries CONCURRENT_TRANSACTIONS, also when wrapped, until it succeeds", async () => {
    let calls = 0;
    const result = await retryConcurrentTransactions(async () => {
      calls++;
      if (calls === 1) throw concurrent;
      if (calls === 2) throw Object.assign(new Error("wrapped"), { originalError: concurrent });
      return "done";
    });
    expect(result).toBe("done");
    expect(calls).toBe(3);
  });
  it("does not retry other errors, and gives up after the attempt limit", async () => {
    let calls = 0;
    await expect(
      retryConcurrentTransactions(async () => {
        calls++;
        throw Object.assign(new Error("fenced"), { type: "INVALID_PRODUCER_EPOCH" });
      }),
    ).rejects.toThrow("fenced");
    expect(calls).toBe(1);
    calls = 0;
    await expect(
      retryConcurrentTransactions(async () => {
        calls++;
        throw concurrent;
      }, 3),
    ).rejects.toThrow("concurrent");
    expect(calls).toBe(3);
  });
});

describe("dead-letter record", () => {
  it("keeps key, value and headers and adds the reason and origin", () => {
    const rec = deadLetterRecord(
      {
        topic: "fx.orders",
        partition: 4,
        offset: "17",
        key: Buffer.from("EURUSD"),
        value: Buffer.from([0, 0, 0]),
        headers: { traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" },
        timestamp: "0",
      },
      "truncated record",
      "matcher",
    );
    expect(rec.key).toEqual(Buffer.from("EURUSD"));
    expect(rec.value).toEqual(Buffer.from([0, 0, 0]));
    expect(rec.headers).toEqual({
      traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
      "fx-dlq-reason": "truncated record",
      "fx-dlq-source-topic": "fx.orders",
      "fx-dlq-source-partition": "4",
      "fx-dlq-source-offset": "17",
      "fx-dlq-consumer-group": "matcher",
    });
  });
  it("names transactional ids per input partition", () => {
    expect(transactionalIdFor("matcher", "fx.orders", 3)).toBe("matcher.fx.orders.3");
  });
});
