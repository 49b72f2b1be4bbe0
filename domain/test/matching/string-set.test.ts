import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { hashString, StringSet } from "../../src/matching/string-set.ts";

describe("StringSet", () => {
  it("behaves like a Set<string> under any mix of add/has/clear, through growth", () => {
    const op = fc.tuple(fc.constantFrom("add", "add", "add", "has", "clear"), fc.nat(400));
    fc.assert(
      fc.property(fc.array(op, { maxLength: 2000 }), (ops) => {
        const s = new StringSet();
        let m = new Set<string>();
        for (const [kind, k] of ops) {
          const key = `k${k}`;
          if (kind === "add") {
            s.add(key, hashString(key));
            m.add(key);
          } else if (kind === "clear") {
            s.clear();
            m = new Set();
          }
          expect(s.has(key, hashString(key))).toBe(m.has(key));
          expect(s.size).toBe(m.size);
        }
        expect(s.keyList()).toEqual([...m]);
      }),
      { numRuns: 100 },
    );
  });
});
