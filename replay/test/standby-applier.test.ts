// StandbyApplier must do exactly what the live PartitionMatcher does to a
// standby pair (ADR 087): same outcome for every input (applied, skipped,
// duplicate, poison), same books. Run side by side over a session with
// duplicates at the edges of the dedupe window, poison and foreign inputs.
import { type DomainEvent, type MatcherInput, REFERENCE_CATALOG } from "@fxcore/domain";
import { PartitionMatcher } from "@fxcore/matcher";
import type { Envelope } from "@fxcore/schemas";
import { describe, expect, it } from "vitest";
import { DEDUPE_WINDOW, IdWindow, StandbyApplier } from "../src/book/standby-applier.ts";
import { generateInputs, metaFor, uuidFrom } from "./support/session.ts";

function sessionWithTrouble(): Envelope[] {
  const base: Envelope[] = [];
  let i = 0;
  for (const { input } of generateInputs({ n: 30_000, pairs: ["EURUSD", "USDJPY"], seed: 21 })) {
    base.push({
      meta: metaFor(uuidFrom(7, ++i), input.transactTime, `c${i}`),
      payload: input as DomainEvent,
    });
  }
  const out: Envelope[] = [];
  const accepted = base.find((e) => e.payload.type === "OrderAccepted")!;
  const poison = (payload: Record<string, unknown>, id: string): Envelope => ({
    meta: { ...accepted.meta, eventId: id },
    payload: { ...(accepted.payload as unknown as Record<string, unknown>), ...payload } as never,
  });
  base.forEach((e, k) => {
    out.push(e);
    // Republished inputs at distances inside, at and beyond the window (in distinct ids).
    for (const d of [1, 57, DEDUPE_WINDOW - 1, DEDUPE_WINDOW, DEDUPE_WINDOW + 1]) {
      if (k >= d && k % 997 === d % 997) out.push(base[k - d]!);
    }
    if (k % 1_501 === 0) {
      out.push(poison({ qty: 0, orderId: `P${k}` }, `p-${k}`));
      out.push(poison({ ordType: "MARKET", orderId: `Q${k}` }, `q-${k}`));
      out.push(poison({ symbol: "XXXYYY", orderId: `R${k}` }, `r-${k}`));
      out.push(poison({ type: "TradeExecuted" }, `t-${k}`));
      out.push(poison({ type: "OrderRejected" }, `j-${k}`));
      // Ids with non-ASCII characters, and one repeated.
      out.push(poison({ orderId: `U${k}` }, `ü-${k}-é`));
      out.push(poison({ orderId: `V${k}` }, `ü-${k}-é`));
    }
  });
  return out;
}

const kindOf = (k: string) => (k === "outputs" ? "applied" : k);

describe("StandbyApplier = PartitionMatcher in standby", () => {
  it("gives the same outcome for every input and the same books", () => {
    const inputs = sessionWithTrouble();
    const live = new PartitionMatcher({
      catalog: REFERENCE_CATALOG,
      writerEpoch: 0,
      homePairs: new Set(),
    });
    const byString = new StandbyApplier(REFERENCE_CATALOG);
    const byBytes = new StandbyApplier(REFERENCE_CATALOG);
    const counts = new Map<string, number>();
    for (const env of inputs) {
      const want = kindOf(live.apply(env).kind);
      counts.set(want, (counts.get(want) ?? 0) + 1);
      expect(byString.apply(env.payload, env.meta.eventId)).toBe(want);
      const id = Buffer.from(`xx${env.meta.eventId}yy`, "utf8");
      expect(byBytes.applyWithId(env.payload as MatcherInput, id, 2, id.length - 2)).toBe(want);
    }
    // The session exercised every outcome.
    expect(counts.get("applied")).toBeGreaterThan(20_000);
    expect(counts.get("duplicate")).toBeGreaterThan(10);
    expect(counts.get("poison")).toBeGreaterThan(10);
    expect(counts.get("skip")).toBeGreaterThan(10);
    for (const { symbol, engine } of live.books()) {
      expect(byString.engine(symbol)?.stateHash()).toBe(engine.stateHash());
      expect(byBytes.engine(symbol)?.stateHash()).toBe(engine.stateHash());
    }
  });
});

describe("IdWindow", () => {
  it("remembers exactly the last N distinct ids, whatever their length", () => {
    const w = new IdWindow(64);
    const model: string[] = [];
    let seed = 7;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    for (let i = 0; i < 20_000; i++) {
      const n = Math.floor(rnd() * 200);
      const id = n % 13 === 0 ? `long-${"x".repeat(70)}-${n}` : `id-${n}`;
      const want = !model.includes(id);
      if (want) {
        model.push(id);
        if (model.length > 64) model.shift();
      }
      const b = Buffer.from(id);
      expect(w.addIfAbsent(b, 0, b.length)).toBe(want);
    }
  });

  it("is exact across table rebuilds: windows of 1, 3 and 100, ids inside larger buffers, entries left by evicted ids", () => {
    for (const [size, space] of [
      [1, 3],
      [3, 8],
      [100, 130],
      [100, 1_000],
    ] as const) {
      const w = new IdWindow(size);
      const ring: string[] = [];
      let seed = size * 31 + space;
      for (let i = 0; i < 30 * size + 3_000; i++) {
        seed = (seed * 1103515245 + 12345) % 2147483648;
        const n = seed % space;
        const id =
          n % 7 === 0 ? `ü-${n}` : n % 11 === 0 ? `long-${"z".repeat(45)}-${n}` : uuidFrom(1, n);
        const want = !ring.includes(id);
        if (want) {
          ring.push(id);
          if (ring.length > size) ring.shift();
        }
        const b = Buffer.from(`<<${id}>>`);
        expect(w.addIfAbsent(b, 2, b.length - 2), `window ${size}, step ${i}, ${id}`).toBe(want);
      }
    }
  });
});
