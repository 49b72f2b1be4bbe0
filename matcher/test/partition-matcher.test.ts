import { REFERENCE_CATALOG, timestampNs } from "@fxcore/domain";
import type { Envelope } from "@fxcore/schemas";
import { describe, expect, test } from "vitest";
import { hash } from "node:crypto";
import { outputEventId, PartitionMatcher } from "../src/partition-matcher.ts";
import { decodePartitionSnapshot, encodePartitionSnapshot } from "../src/partition-snapshot.ts";
import { generateInputs } from "./support/input-stream.ts";

const PAIRS = ["EURUSD", "USDJPY", "GBPUSD", "EURGBP"];
const fresh = (homePairs?: ReadonlySet<string>) =>
  new PartitionMatcher({ catalog: REFERENCE_CATALOG, writerEpoch: 7, homePairs });

function run(m: PartitionMatcher, inputs: readonly Envelope[]): Envelope[] {
  const out: Envelope[] = [];
  for (const input of inputs) {
    const r = m.apply(input);
    if (r.kind === "poison") throw new Error(r.reason);
    if (r.kind === "outputs") out.push(...r.outputs);
  }
  return out;
}

function snapshotOf(m: PartitionMatcher, nextOffset: bigint): Buffer {
  return encodePartitionSnapshot({
    nextOffset,
    books: m.books().map(({ symbol, engine }) => ({ symbol, bytes: engine.snapshot() })),
    recentInputIds: m.recentInputIds(),
  });
}

describe("PartitionMatcher", () => {
  const inputs = generateInputs({ seed: 42, count: 6_000, pairs: PAIRS });

  test("the same inputs give identical outputs, envelopes included", () => {
    const a = run(fresh(), inputs);
    const b = run(fresh(), inputs);
    expect(a.length).toBeGreaterThan(1_000);
    expect(a.some((e) => e.payload.type === "TradeExecuted")).toBe(true);
    expect(b).toEqual(a);
  });

  test("outputs carry a gapless per-pair sequence, unique ids, and the input as causation", () => {
    const byInputId = new Map(inputs.map((i) => [i.meta.eventId, i]));
    const out = run(fresh(), inputs);
    const lastSeq = new Map<string, number>();
    const ids = new Set<string>();
    for (const e of out) {
      const sym = e.payload.symbol;
      const seq = e.meta.pairSeq as number;
      expect(seq).toBe((lastSeq.get(sym) ?? 0) + 1);
      lastSeq.set(sym, seq);
      expect(ids.has(e.meta.eventId)).toBe(false);
      ids.add(e.meta.eventId);
      const cause = byInputId.get(e.meta.causationId ?? "");
      expect(cause).toBeDefined();
      expect(e.meta.occurredAt).toBe(cause!.meta.occurredAt);
      expect(e.meta.writerEpoch).toBe(7);
    }
    expect([...lastSeq.keys()].sort()).toEqual([...PAIRS].sort());
  });

  test("snapshot mid-stream, restore, continue: the same outputs as without the break", () => {
    const cut = 3_123;
    const whole = run(fresh(), inputs);
    const first = fresh();
    const head = run(first, inputs.slice(0, cut));
    const bytes = snapshotOf(first, BigInt(cut));
    const decoded = decodePartitionSnapshot(bytes);
    expect(decoded.ok).toBe(true);
    if (!decoded.ok) return;
    expect(decoded.value.nextOffset).toBe(BigInt(cut));
    const second = fresh();
    expect(second.restore(decoded.value.books, decoded.value.recentInputIds)).toBeUndefined();
    const tail = run(second, inputs.slice(cut));
    expect([...head, ...tail]).toEqual(whole);
  });

  test("a standby pair advances its book without emitting; promoted, it continues exactly", () => {
    const cut = 2_500;
    const whole = run(fresh(), inputs);
    const standby = fresh(new Set(["USDJPY", "GBPUSD", "EURGBP"])); // EURUSD homed elsewhere
    const head = run(standby, inputs.slice(0, cut));
    expect(head.some((e) => e.payload.symbol === "EURUSD")).toBe(false);
    const promoted = fresh();
    const snap = decodePartitionSnapshot(snapshotOf(standby, BigInt(cut)));
    if (!snap.ok) throw new Error(snap.error.reason);
    promoted.restore(snap.value.books, snap.value.recentInputIds);
    const tail = run(promoted, inputs.slice(cut));
    const afterCut = new Set(inputs.slice(cut).map((i) => i.meta.eventId));
    const expected = whole.filter(
      (e) => e.payload.symbol === "EURUSD" && afterCut.has(e.meta.causationId ?? ""),
    );
    expect(expected.length).toBeGreaterThan(100);
    expect(tail.filter((e) => e.payload.symbol === "EURUSD")).toEqual(expected);
  });

  test("a republished input (same event id) is dropped, also after a snapshot/restore", () => {
    const m = fresh();
    const head = inputs.slice(0, 1_000);
    const withDuplicates = head.flatMap((input, i) => (i % 7 === 3 ? [input, input] : [input]));
    expect(run(m, withDuplicates)).toEqual(run(fresh(), head));
    const duplicate = head[head.length - 1]!;
    expect(m.apply(duplicate)).toEqual({ kind: "duplicate" });
    const restored = fresh();
    const snap = decodePartitionSnapshot(snapshotOf(m, 1_000n));
    if (!snap.ok) throw new Error(snap.error.reason);
    restored.restore(snap.value.books, snap.value.recentInputIds);
    expect(restored.apply(duplicate)).toEqual({ kind: "duplicate" });
    const tail = inputs.slice(1_000, 1_500);
    const reference = fresh();
    run(reference, head);
    expect(run(restored, tail)).toEqual(run(reference, tail));
  });

  test("inputs the matcher cannot trust are poison; command-side outcomes are skipped", () => {
    const m = fresh();
    const base = inputs.find((i) => i.payload.type === "OrderAccepted")!;
    const meta = base.meta;
    const poison = (payload: unknown) => m.apply({ meta, payload } as Envelope);
    expect(poison({ ...base.payload, symbol: "XAUUSD" })).toMatchObject({
      kind: "poison",
      reason: expect.stringContaining("unknown symbol"),
    });
    expect(poison({ ...base.payload, ordType: "LIMIT", price: null })).toMatchObject({
      kind: "poison",
    });
    expect(poison({ ...base.payload, qty: 0 })).toMatchObject({ kind: "poison" });
    expect(poison({ ...base.payload, qty: 1.5 })).toMatchObject({ kind: "poison" });
    expect(poison({ type: "PlaceOrder", symbol: "EURUSD" })).toMatchObject({
      kind: "poison",
      reason: expect.stringContaining("not a matcher input"),
    });
    expect(
      poison({
        type: "OrderRejected",
        orderId: null,
        clOrdId: "x",
        account: "A",
        symbol: "EURUSD",
        side: "BUY",
        reason: 1,
        text: "t",
        transactTime: timestampNs(1n),
      }),
    ).toEqual({ kind: "skip" });
  });
});

describe("partition snapshot bytes", () => {
  const m = fresh();
  run(m, generateInputs({ seed: 7, count: 500, pairs: PAIRS }));
  const bytes = snapshotOf(m, 500n);

  test("round trip", () => {
    const d = decodePartitionSnapshot(bytes);
    expect(d.ok && d.value.books.map((b) => b.symbol)).toEqual([...PAIRS].sort());
  });

  test("a flipped byte or a truncation is refused, never restored", () => {
    const flipped = Buffer.from(bytes);
    flipped[20] = (flipped[20]! ^ 0xff) & 0xff;
    expect(decodePartitionSnapshot(flipped)).toEqual({
      ok: false,
      error: { reason: "checksum mismatch" },
    });
    expect(decodePartitionSnapshot(bytes.subarray(0, bytes.length - 1)).ok).toBe(false);
    expect(decodePartitionSnapshot(Buffer.alloc(3)).ok).toBe(false);
  });
});

describe("outputEventId", () => {
  // The id layout every earlier output was written with (hex string slicing).
  const reference = (symbol: string, seq: number) => {
    const h = hash("sha256", `fx.executions/${symbol}/${seq}`, "hex");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((Number.parseInt(h.slice(16, 18), 16) & 0x3f) | 0x80).toString(16)}${h.slice(18, 20)}-${h.slice(20, 32)}`;
  };
  test("is the same id as the reference layout, for every pair and many sequence numbers", () => {
    for (const symbol of PAIRS)
      for (let seq = 0; seq < 5_000; seq += 1 + (seq >> 6))
        expect(outputEventId(symbol, seq)).toBe(reference(symbol, seq));
    expect(outputEventId("EURUSD", 2 ** 40)).toBe(reference("EURUSD", 2 ** 40));
    // Every message length around SHA-256's block and padding boundaries, past
    // the two-block fast path, and non-ASCII (node's hash then).
    for (let len = 0; len < 130; len++) {
      const symbol = "ABCDEFGHIJKLMNOPQRSTUVWXYZ".repeat(6).slice(0, len);
      for (const seq of [0, 7, 123_456_789])
        expect(outputEventId(symbol, seq)).toBe(reference(symbol, seq));
    }
    expect(outputEventId("EUR€USD", 5)).toBe(reference("EUR€USD", 5));
    expect(outputEventId("EURUSD", 1)).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });
});
