// Snapshot/restore: round trip, canonical bytes, and typed rejection of bytes
// that cannot be trusted.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createMatchingEngine, restoreMatchingEngine } from "../../src/matching/engine.ts";
import { decodeSnapshot, encodeSnapshot, hashSnapshot } from "../../src/matching/snapshot.ts";
import type { Symbol } from "../../src/values.ts";
import { buy, cancel, EURUSD, sell, tick } from "./fixtures.ts";
import { streamArb } from "./streams.ts";

function sample() {
  const e = createMatchingEngine(EURUSD);
  for (const i of [
    buy("b1", 100, 5),
    buy("b2", 100, 3, { account: "B", stp: "CANCEL_OLDEST" }),
    buy("b3", 99, 2, { tif: "GTD", expireAt: 50 }),
    sell("s1", 102, 4, { postOnly: true }),
    sell("s2", 103, 1, { tif: "DAY", expireAt: 40 }),
    sell("x", 100, 2), // fills part of b1
    buy("gone", 90, 1),
    cancel("gone"),
  ])
    e.apply(i);
  return e;
}

describe("snapshot", () => {
  it("round-trips: same depth, orders, hash and bytes; the copy behaves the same", () => {
    const e = sample();
    const bytes = e.snapshot();
    const r = restoreMatchingEngine(EURUSD, bytes);
    if (!r.ok) throw new Error(JSON.stringify(r.error));
    const c = r.value;
    expect(c.depth()).toEqual(e.depth());
    expect(c.restingOrders()).toEqual(e.restingOrders());
    expect(c.stateHash()).toBe(e.stateHash());
    expect(Buffer.from(c.snapshot()).equals(Buffer.from(bytes))).toBe(true);
    expect(c.seq).toBe(e.seq);
    for (const input of [cancel("gone"), tick(45), sell("y", 99, 10), tick(60)]) {
      expect(c.apply(input)).toEqual(e.apply(input));
    }
  });

  it("is canonical: the same state hashes the same whatever the slot layout", () => {
    const ids = Array.from({ length: 40 }, (_, i) => `o${i}`);
    const a = createMatchingEngine(EURUSD);
    const b = createMatchingEngine(EURUSD, { initialOrderCapacity: 16 });
    for (const e of [a, b]) for (const id of ids) e.apply(buy(id, 100 - (id.length % 3), 1));
    // Cancel in opposite orders: same events count, different free-slot order.
    for (const id of ids) a.apply(cancel(id));
    for (const id of [...ids].reverse()) b.apply(cancel(id));
    for (const e of [a, b]) for (const id of ["n1", "n2", "n3"]) e.apply(sell(id, 105, 2));
    expect(b.stateHash()).toBe(a.stateHash());
    a.apply(buy("t", 90, 1));
    expect(a.stateHash()).not.toBe(b.stateHash());
  });

  it("rejects bytes it cannot trust with typed errors", () => {
    const good = sample().snapshot();
    const bad = (b: Uint8Array) => {
      const r = restoreMatchingEngine(EURUSD, b);
      return r.ok ? "ok" : r.error.kind;
    };
    const flipped = good.slice();
    flipped[0] = 0x58;
    expect(bad(flipped)).toBe("BAD_MAGIC");
    const v2 = good.slice();
    v2[4] = 2;
    expect(bad(v2)).toBe("UNSUPPORTED_VERSION");
    expect(bad(good.slice(0, good.length - 3))).toBe("TRUNCATED");
    expect(bad(new Uint8Array([...good, 0]))).toBe("TRAILING_BYTES");
    expect(bad(new Uint8Array(0))).toBe("TRUNCATED");
    const other = restoreMatchingEngine({ ...EURUSD, symbol: "GBPUSD" as Symbol }, good);
    expect(other.ok ? null : other.error).toEqual({
      kind: "SYMBOL_MISMATCH",
      expected: "GBPUSD",
      actual: "EURUSD",
    });
  });

  it("rejects well-formed bytes describing an impossible book", () => {
    const state = sample().snapshotState();
    const kind = (s: typeof state) => {
      const r = restoreMatchingEngine(EURUSD, encodeSnapshot(s));
      return r.ok ? "ok" : r.error.kind === "MALFORMED" ? r.error.detail : r.error.kind;
    };
    expect(kind(state)).toBe("ok");
    const [first, ...rest] = state.orders;
    expect(kind({ ...state, orders: [...rest, first!] })).toBe("order sequence");
    expect(kind({ ...state, orders: [{ ...first!, cumQty: first!.qty }, ...rest] })).toBe(
      "resting order with nothing left",
    );
    expect(kind({ ...state, orders: [first!, first!, ...rest] })).toMatch(/duplicate order/);
    expect(kind({ ...state, orders: [{ ...first!, price: 200 }, ...rest] })).toBe("crossed book");
    expect(kind({ ...state, nextPrio: 1 })).toBe("prio");
    expect(kind({ ...state, terminalGeneration: 0 })).toBe("terminal id generation");
  });

  it("decodes what it encodes", () => {
    const s = sample().snapshotState();
    const d = decodeSnapshot(encodeSnapshot(s));
    expect(d.ok && d.value.orders).toEqual(s.orders);
  });

  it("writes every string as u32 length + its UTF-8 (TextEncoder's bytes, lone surrogates as U+FFFD)", () => {
    const utf8 = new TextEncoder();
    const base = sample().snapshotState();
    const order = base.orders[0]!;
    fc.assert(
      fc.property(
        fc.string({ unit: "binary" }),
        fc.string({ unit: "grapheme" }),
        fc.string(),
        (orderId, clOrdId, account) => {
          const bytes = encodeSnapshot({
            ...base,
            orders: [{ ...order, orderId, clOrdId, account }],
            terminalPrevious: [],
            terminalCurrent: [],
          });
          const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
          let pos = 4 + 2 + 4 + utf8.encode(base.symbol).length + 8 + 8 + 4;
          for (const s of [orderId, clOrdId, account]) {
            const want = utf8.encode(s);
            expect(view.getUint32(pos, true)).toBe(want.length);
            expect(bytes.subarray(pos + 4, pos + 4 + want.length)).toEqual(want);
            pos += 4 + want.length;
          }
        },
      ),
    );
  });
  it("the engine's snapshot, written straight from its book, is encodeSnapshot(snapshotState()) byte for byte", () => {
    fc.assert(
      fc.property(streamArb({}, 200), fc.integer({ min: 1, max: 8 }), (inputs, generation) => {
        // Small terminal generations so streams rotate them (previous and current both filled).
        const e = createMatchingEngine(EURUSD, { terminalIdGeneration: generation });
        for (const input of inputs) e.apply(input);
        const canonical = encodeSnapshot(e.snapshotState());
        expect(Buffer.from(e.snapshot()).equals(Buffer.from(canonical))).toBe(true);
        expect(e.stateHash()).toBe(hashSnapshot(canonical));
      }),
      { numRuns: 150 },
    );
  });
});
