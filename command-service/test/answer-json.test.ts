// jsonText gives JSON.stringify's text with bigints as decimal strings, built
// without a replacer: the same text for every value an answer can hold.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { jsonText, positionJson, reportJson } from "../src/commands/answer-json.ts";

const viaReplacer = (v: unknown) =>
  JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? x.toString() : x));

const leaf = fc.oneof(
  fc.string(),
  fc.string({ unit: "binary" }),
  fc.integer(),
  fc.double(),
  fc.bigInt(),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
);
const value = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: "small" }, leaf, tie("array"), tie("object")),
  array: fc.array(tie("node"), { maxLength: 4 }),
  object: fc.dictionary(fc.oneof(fc.string(), fc.constantFrom("1", "10", 'a"b')), tie("node"), {
    maxKeys: 6,
  }),
})).node;

describe("jsonText", () => {
  it("equals JSON.stringify with bigints as strings, for any nesting of answer values", () => {
    fc.assert(
      fc.property(value, (v) => {
        expect(jsonText(v)).toBe(viaReplacer(v));
      }),
      { numRuns: 3000 },
    );
  });

  it("serializes a report as before and leaves the report unchanged", () => {
    const report = {
      msgType: "8",
      orderId: "0197a0c4-7d1e-7abc-8def-0123456789ab",
      clOrdId: 'quote"back\\slash',
      origClOrdId: null,
      price: 110000,
      avgPx: { tradedNotional: 12n, cumQty: 0 },
      transactTime: 1763900000000000000n,
      text: undefined,
      when: new Date(0),
    };
    expect(jsonText(report)).toBe(viaReplacer(report));
    expect(JSON.parse(jsonText(report))).toMatchObject({
      transactTime: "1763900000000000000",
      avgPx: { tradedNotional: "12" },
    });
    expect(report.transactTime).toBe(1763900000000000000n);
    expect(report.avgPx.tradedNotional).toBe(12n);
  });

  it("reportJson gives jsonText's text for reports, bigints where they are expected or anywhere else", () => {
    const base = {
      msgType: "8",
      orderId: "0197a0c4-7d1e-7abc-8def-0123456789ab",
      clOrdId: 'q"uote',
      execType: "0",
      price: 110000,
      expireTime: null as bigint | null,
      avgPx: { tradedNotional: 12n, cumQty: 3 },
      text: null,
      transactTime: 1763900000000000000n,
    };
    fc.assert(
      fc.property(
        fc.option(fc.bigInt()),
        fc.bigInt(),
        fc.option(leaf),
        (expire, notional, extra) => {
          const report = {
            ...base,
            expireTime: expire,
            avgPx: { tradedNotional: notional, cumQty: 3 },
            ...(extra === null ? {} : { extra }),
          };
          expect(reportJson(report as never)).toBe(viaReplacer(report));
          expect(reportJson(report as never)).toBe(jsonText(report));
        },
      ),
      { numRuns: 2000 },
    );
    // A bigint somewhere no report has one: the general walk.
    const odd = { ...base, nested: { deep: [1n] } };
    expect(reportJson(odd as never)).toBe(viaReplacer(odd));
    expect(reportJson(null)).toBe("null");
    expect(base.transactTime).toBe(1763900000000000000n);
  });
});

describe("positionJson", () => {
  it("sends a position of up to 15 digits as a JSON number, a longer one as its decimal string", () => {
    expect(positionJson("0")).toBe("0");
    expect(positionJson("1234567")).toBe("1234567");
    expect(positionJson("999999999999999")).toBe("999999999999999");
    expect(positionJson("1000000000000000")).toBe('"1000000000000000"');
    expect(positionJson("9223372036854775807")).toBe('"9223372036854775807"');
    expect(positionJson(null)).toBe("null");
  });

  it("reads back as the same decimal text for every bigint position", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }), (p) => {
        const parsed: unknown = JSON.parse(positionJson(p.toString()));
        expect(String(parsed)).toBe(p.toString());
        expect(typeof parsed).toBe(p < 10n ** 15n ? "number" : "string");
      }),
      { numRuns: 2000 },
    );
  });
});
