import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { hashString } from "../../src/matching/id-hash.ts";
import { TerminalIds } from "../../src/matching/terminal-ids.ts";

/** The two-generation rule of ADR 031, written plainly: generations count terminal transitions. */
class Model {
  current: string[] = [];
  previous: string[] = [];
  readonly g: number;
  constructor(g: number) {
    this.g = g;
  }
  add(id: string): void {
    this.current.push(id);
    if (this.current.length >= this.g) {
      this.previous = this.current;
      this.current = [];
    }
  }
  has(id: string): boolean {
    return this.current.includes(id) || this.previous.includes(id);
  }
}

describe("TerminalIds (index built lazily)", () => {
  it("answers and rotates exactly like the plain rule, whenever it is read", () => {
    const op = fc.tuple(
      fc.constantFrom("add", "add", "add", "add", "has", "keys", "restore"),
      fc.nat(600),
    );
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
            expect(t.has(id)).toBe(m.has(id));
          } else if (kind === "keys") {
            expect(t.currentKeys()).toEqual(m.current);
            expect(t.previousKeys()).toEqual(m.previous);
          } else {
            // restore from what a snapshot carries (each generation sorted), then carry on
            m.previous = [...m.previous].sort();
            m.current = [...m.current].sort();
            t.restore(m.previous, m.current);
          }
        }
        expect(t.currentKeys()).toEqual(m.current);
        expect(t.previousKeys()).toEqual(m.previous);
      }),
      { numRuns: 200 },
    );
  });
});
