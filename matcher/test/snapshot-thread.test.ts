import { readdirSync } from "node:fs";
import { taskStat } from "@fxcore/infra/proc-stat";
import { gunzipSync } from "node:zlib";
import { afterAll, describe, expect, test } from "vitest";
import type { PartitionMatcher } from "../src/partition-matcher.ts";
import { decodePartitionSnapshot, encodePartitionSnapshot } from "../src/partition-snapshot.ts";
import { type CapturedState, captureState, snapshotInSlices } from "../src/snapshot-in-slices.ts";
import { startSnapshotThread } from "../src/snapshot-thread.ts";
import { packCapturedState, unpackCapturedState } from "../src/snapshot-transfer.ts";
import { generateInputs } from "./support/input-stream.ts";
import { deepMatcher, oddState, PAIRS } from "./support/snapshot-fixtures.ts";

describe("snapshots on a worker thread", () => {
  const thread = startSnapshotThread();
  afterAll(() => thread.close());

  test("a packed state unpacks to the same values (empty, non-ASCII and broken strings, null and huge expiries)", async () => {
    const captured: CapturedState = {
      nextOffset: 123_456_789_012n,
      books: [
        { symbol: "EURUSD", state: oddState },
        {
          symbol: "GBPUSD",
          state: { ...oddState, symbol: "GBPUSD", orders: [], terminalPrevious: [] },
        },
      ],
      recentInputIds: ["e-1", "", "é-\uDBFF"],
    };
    const packed = await packCapturedState(captured);
    // Through a real structured clone, as postMessage sends it.
    expect(unpackCapturedState(structuredClone(packed))).toEqual(captured);
  });

  test("the thread's record is the partition snapshot of the boundary, byte for byte, while the partition goes on", async () => {
    const live = deepMatcher(30_000);
    const expected = encodePartitionSnapshot({
      nextOffset: 30_000n,
      books: live.books().map(({ symbol, engine }) => ({ symbol, bytes: engine.snapshot() })),
      recentInputIds: live.recentInputIds(),
    });
    const pending = snapshotInSlices(
      captureState(live, 30_000n),
      { inputTopic: "fx.orders", partition: 2, maxBytes: 9 * 2 ** 20 },
      thread.encode,
    );
    for (const input of generateInputs({ seed: 6, count: 2_000, pairs: PAIRS })) live.apply(input);
    const ready = await pending;
    expect(ready.nextOffset).toBe(30_000n);
    expect(ready.record?.key).toBe("fx.orders/2");
    const bytes = gunzipSync(ready.record!.value as Buffer);
    expect(bytes.equals(expected)).toBe(true);
    const decoded = decodePartitionSnapshot(bytes);
    expect(decoded.ok && decoded.value.books.length).toBe(PAIRS.length);
  });

  test("jobs of several partitions at once each get their own answer", async () => {
    const a = deepMatcher(3_000, 11);
    const b = deepMatcher(5_000, 12);
    const [ra, rb] = await Promise.all([
      thread.encode(captureState(a, 3_000n)),
      thread.encode(captureState(b, 5_000n)),
    ]);
    const of = (m: PartitionMatcher, at: bigint) =>
      encodePartitionSnapshot({
        nextOffset: at,
        books: m.books().map(({ symbol, engine }) => ({ symbol, bytes: engine.snapshot() })),
        recentInputIds: m.recentInputIds(),
      });
    expect(gunzipSync(ra).equals(of(a, 3_000n))).toBe(true);
    expect(gunzipSync(rb).equals(of(b, 5_000n))).toBe(true);
  });

  test("a closed thread fails its jobs instead of hanging; the next job starts a new thread", async () => {
    const t = startSnapshotThread();
    const m = deepMatcher(1_000, 13);
    const failed = expect(t.encode(captureState(m, 1_000n))).rejects.toThrow(/snapshot thread/);
    await t.close();
    await failed;
    const again = await t.encode(captureState(m, 1_000n));
    expect(decodePartitionSnapshot(gunzipSync(again)).ok).toBe(true);
    await t.close();
  });
});

describe.runIf(process.platform === "linux")("the snapshot thread's priority", () => {
  test("runs at nice 10", async () => {
    // nice is field 19 (index 16 after the command name).
    const niceOf = (tid: string): number => Number(taskStat(tid)?.fields[16]);
    const before = new Set(readdirSync("/proc/self/task"));
    const t = startSnapshotThread();
    try {
      // A job answered = the worker's module ran (and set its priority).
      await t.encode(captureState(deepMatcher(200, 14), 200n));
      const added = readdirSync("/proc/self/task").filter((tid) => !before.has(tid));
      expect(added.map(niceOf)).toContain(10);
    } finally {
      await t.close();
    }
  });
});
