import { gunzipSync } from "node:zlib";
import { describe, expect, test } from "vitest";
// The domain's own encoder is the oracle for hand-made states (unicode, lone surrogates).
import { encodeSnapshot } from "../../domain/src/matching/snapshot.ts";
import { decodePartitionSnapshot, encodePartitionSnapshot } from "../src/partition-snapshot.ts";
import {
  captureState,
  captureStateInTurns,
  encodeBookInSlices,
  snapshotInSlices,
  sortInSlices,
} from "../src/snapshot-in-slices.ts";
import { generateInputs } from "./support/input-stream.ts";
import { deepMatcher, oddState, PAIRS } from "./support/snapshot-fixtures.ts";

describe("snapshots in slices", () => {
  test("terminal ids sorted in slices: the default sort's order at every size around the run length", async () => {
    // Duplicates, non-ASCII and surrogates (code-unit order, not code points).
    const alphabet = ["a", "B", "ä", "\uD800", "\u{1F600}", "\uFFFF", "0", "z"];
    let x = 7;
    const next = () => {
      x = (x * 1_103_515_245 + 12_345) % 2 ** 31;
      return x;
    };
    const ids = Array.from({ length: 20_000 }, () =>
      Array.from({ length: 1 + (next() % 5) }, () => alphabet[next() % alphabet.length]).join(""),
    );
    for (const n of [0, 1, 2, 4_095, 4_096, 4_097, 8_192, 12_289, 20_000]) {
      const input = ids.slice(0, n);
      const sorted = await sortInSlices(input);
      expect(sorted).toEqual(input.slice().sort());
      expect(input).toEqual(ids.slice(0, n));
    }
  });

  // Enough resting orders and terminal ids per book to cross several turns.
  const m = deepMatcher(40_000);

  test("each book's bytes are engine.snapshot()'s bytes", async () => {
    let orders = 0;
    for (const { engine } of m.books()) {
      const state = engine.snapshotState();
      orders += state.orders.length;
      expect(Buffer.from(await encodeBookInSlices(state))).toEqual(Buffer.from(engine.snapshot()));
    }
    expect(orders).toBeGreaterThan(4_096);
  });

  test("a hand-made state with non-ASCII and broken strings encodes as the domain encodes it", async () => {
    const state = oddState;
    expect(Buffer.from(await encodeBookInSlices(state))).toEqual(
      Buffer.from(encodeSnapshot(state)),
    );
  });

  test("the captured state is the boundary's: applying more inputs meanwhile does not change the record", async () => {
    const live = deepMatcher(20_000);
    const expected = encodePartitionSnapshot({
      nextOffset: 20_000n,
      books: live.books().map(({ symbol, engine }) => ({ symbol, bytes: engine.snapshot() })),
      recentInputIds: live.recentInputIds(),
    });
    const captured = captureState(live, 20_000n);
    const pending = snapshotInSlices(captured, {
      inputTopic: "fx.orders",
      partition: 3,
      maxBytes: 9 * 2 ** 20,
    });
    // The partition goes on while the snapshot is encoded.
    for (const input of generateInputs({ seed: 6, count: 2_000, pairs: PAIRS })) live.apply(input);
    const ready = await pending;
    expect(ready.nextOffset).toBe(20_000n);
    expect(ready.record?.partition).toBe(3);
    const bytes = gunzipSync(ready.record!.value as Buffer);
    expect(bytes).toEqual(expected);
    const decoded = decodePartitionSnapshot(bytes);
    expect(decoded.ok).toBe(true);
  });

  test("a capture a book per turn is the capture in one, and lets other callbacks in between books", async () => {
    let turns = 0;
    const count = () => {
      turns++;
      if (turns < 100) setImmediate(count);
    };
    setImmediate(count);
    const inTurns = await captureStateInTurns(m, 40_000n);
    const seen = turns;
    expect(inTurns).toEqual(captureState(m, 40_000n));
    expect(inTurns.books.length).toBe(PAIRS.length);
    // Each book after the first waited for a turn of the event loop.
    expect(seen).toBeGreaterThanOrEqual(PAIRS.length - 1);
  });

  test("a snapshot larger than the topic takes is skipped (no record)", async () => {
    const ready = await snapshotInSlices(captureState(m, 1n), {
      inputTopic: "fx.orders",
      partition: 0,
      maxBytes: 1_024,
    });
    expect(ready.record).toBeUndefined();
    expect(ready.nextOffset).toBe(1n);
  });
});
