import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { hashString } from "../../src/matching/id-hash.ts";
import { IdIndex } from "../../src/matching/id-index.ts";

describe("IdIndex", () => {
  it.each([1, 3])(
    "finds, inserts and removes like a Map<string, slot> (stride %i), through growth and clear",
    (stride) => {
      const op = fc.tuple(
        fc.constantFrom("insert", "insert", "insert", "remove", "find", "clear"),
        fc.nat(300),
      );
      fc.assert(
        fc.property(fc.array(op, { maxLength: 1500 }), (ops) => {
          const index = new IdIndex(4, stride);
          const ids: string[] = [];
          const model = new Map<string, number>();
          let nextSlot = 0;
          for (const [kind, k] of ops) {
            const key = `o${k}`;
            const h = hashString(key);
            if (kind === "insert" && !model.has(key)) {
              const slot = nextSlot++;
              ids[slot * stride] = key;
              index.insert(h, slot);
              model.set(key, slot);
            } else if (kind === "remove" && model.has(key)) {
              index.remove(h, model.get(key)!);
              model.delete(key);
            } else if (kind === "clear") {
              index.clear();
              model.clear();
            }
            expect(index.find(key, h, ids)).toBe(model.get(key) ?? -1);
            expect(index.size).toBe(model.size);
          }
          for (const [key, slot] of model) expect(index.find(key, hashString(key), ids)).toBe(slot);
        }),
        { numRuns: 100 },
      );
    },
  );
});
