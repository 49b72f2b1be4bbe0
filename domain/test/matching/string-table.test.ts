import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { StringTable } from "../../src/matching/string-table.ts";

describe("StringTable", () => {
  it("behaves like a Map<string, number> under any mix of set/delete/get (incl. growth and backward shift)", () => {
    const op = fc.tuple(fc.constantFrom("set", "delete", "get"), fc.nat(300), fc.nat(1000));
    fc.assert(
      fc.property(fc.array(op, { maxLength: 2000 }), (ops) => {
        const t = new StringTable(4);
        const m = new Map<string, number>();
        for (const [kind, k, v] of ops) {
          const key = `k${k}`;
          if (kind === "set") {
            t.set(key, v);
            m.set(key, v);
          } else if (kind === "delete") {
            expect(t.delete(key)).toBe(m.delete(key));
          }
          expect(t.get(key)).toBe(m.get(key) ?? -1);
          expect(t.size).toBe(m.size);
        }
        for (const [k, v] of m) expect(t.get(k)).toBe(v);
        expect(t.keyList().sort()).toEqual([...m.keys()].sort());
        t.clear();
        expect(t.size).toBe(0);
        for (const k of m.keys()) expect(t.has(k)).toBe(false);
      }),
      { numRuns: 100 },
    );
  });
});
