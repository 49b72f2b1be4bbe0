import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { hashString } from "../../src/matching/string-set.ts";
import { TerminalIds } from "../../src/matching/terminal-ids.ts";

/** The unbatched two-generation rule of ADR 031, written plainly. */
class Model {
  current = new Set<string>();
  previous = new Set<string>();
  readonly g: number;
  constructor(g: number) {
    this.g = g;
  }
  add(id: string): void {
    this.current.add(id);
    if (this.current.size >= this.g) {
      this.previous = this.current;
      this.current = new Set();
    }
  }
}

describe("TerminalIds (batched inserts)", () => {
  it("answers and rotates exactly like the unbatched rule, whenever it is read", () => {
    const op = fc.tuple(fc.constantFrom("add", "add", "add", "add", "has", "keys"), fc.nat(600));
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 300 }), fc.array(op, { maxLength: 3000 }), (g, ops) => {
        const t = new TerminalIds(g);
        const m = new Model(g);
        for (const [kind, k] of ops) {
          const id = `o${k}`;
          if (kind === "add") {
            t.add(id, hashString(id));
            m.add(id);
          } else if (kind === "has") {
            expect(t.has(id)).toBe(m.current.has(id) || m.previous.has(id));
          } else {
            expect(t.currentKeys()).toEqual([...m.current]);
            expect(t.previousKeys()).toEqual([...m.previous]);
          }
        }
        expect(t.currentKeys()).toEqual([...m.current]);
        expect(t.previousKeys()).toEqual([...m.previous]);
      }),
      { numRuns: 200 },
    );
  });
});
