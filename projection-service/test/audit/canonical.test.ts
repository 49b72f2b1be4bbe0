import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalBytes } from "../../src/audit/chain.ts";
import { scriptedSession } from "../session.ts";

// The definition of ADR 072, written the plain way: what every chained record
// so far was hashed over. The service's serialiser must produce the same bytes.
const reference = (v: unknown): string => {
  if (v === null || v === undefined) return "null";
  if (typeof v === "bigint") return JSON.stringify(v.toString());
  if (typeof v === "number" || typeof v === "boolean" || typeof v === "string")
    return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(reference).join(",")}]`;
  if (typeof v === "object") {
    const entries = Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${reference(x)}`).join(",")}}`;
  }
  throw new Error(`not canonicalisable: ${typeof v}`);
};

const value = fc.letrec((tie) => ({
  leaf: fc.oneof(
    fc.constant(null),
    fc.constant(undefined),
    fc.boolean(),
    fc.double(),
    fc.integer(),
    fc.bigInt(),
    fc.string({ unit: "binary" }),
  ),
  node: fc.oneof(
    { depthSize: "small" },
    tie("leaf"),
    fc.array(tie("node"), { maxLength: 4 }),
    fc.dictionary(fc.string({ unit: "binary" }), tie("node"), { maxKeys: 6 }),
  ),
})).node;

describe("canonical bytes of the audit trail", () => {
  it("given any JSON-like value with bigints, then the bytes equal the sorted-key JSON definition", () => {
    fc.assert(
      fc.property(value, (v) => {
        expect(canonicalBytes(v).toString("utf8")).toBe(reference(v));
      }),
      { numRuns: 2_000 },
    );
  });

  it("given the events of a trading session, then every envelope serialises as the definition says", () => {
    for (const e of scriptedSession(300, 11)) {
      const v = { eventId: e.eventId, event: e.event };
      expect(canonicalBytes(v).equals(Buffer.from(reference(v), "utf8"))).toBe(true);
    }
  });

  it("given objects of one type with different keys, alternating, then each serialises as the definition says", () => {
    // One event type, several shapes (a field absent, another added, other
    // key orders): the copier cache keys by type and must tell them apart.
    const shapes: Record<string, unknown>[] = [
      { type: "T", b: 1, a: "x" },
      { type: "T", a: "x" },
      { a: "x", type: "T", b: 2n, c: [1, { z: 1, y: null }] },
      { type: "T", b: undefined, a: "x" },
      { __proto__: null, type: "T", b: 1 },
      { type: 7, a: 1 },
      { "1": 1, type: "T" },
    ];
    for (let round = 0; round < 3; round++)
      for (const v of [...shapes, ...shapes.reverse()])
        expect(canonicalBytes({ eventId: "e", event: v }).toString("utf8")).toBe(
          reference({ eventId: "e", event: v }),
        );
  });

  it("given a function value, then it is refused", () => {
    expect(() => canonicalBytes({ f: () => 1 })).toThrow(/not canonicalisable/);
  });
});
