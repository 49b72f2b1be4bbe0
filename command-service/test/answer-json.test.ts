// jsonText gives JSON.stringify's text with bigints as decimal strings, built
// without a replacer: the same text for every value an answer can hold.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  answerJson,
  jsonText,
  reportJson,
  WrittenAnswer,
  writeAnswerJson,
} from "../src/commands/answer-json.ts";
import { JsonBytes } from "../src/commands/json-bytes.ts";

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

describe("writeAnswerJson", () => {
  const text = fc.oneof(
    fc.string(),
    fc.string({ unit: "binary" }),
    fc.constant("0197a0c4-7d1e-7abc-8def-0123456789ab"),
  );
  const report = fc.record({
    msgType: fc.constantFrom("8", "9"),
    orderId: fc.option(text),
    clOrdId: text,
    ordStatus: fc.constantFrom("0", "8"),
    price: fc.option(fc.integer()),
    transactTime: fc.bigInt(),
    avgPx: fc.record({ tradedNotional: fc.bigInt(), cumQty: fc.integer() }),
    text: fc.option(text),
  });
  const answer = fc.oneof(
    fc
      .tuple(report, text, fc.option(text), text)
      .map(
        ([r, position, orderId, eventId]) =>
          new WrittenAnswer(r as never, reportJson(r as never), position, orderId, eventId),
      ),
    fc.record(
      {
        report: fc.option(report),
        position: fc.option(text),
        orderId: fc.option(text),
        resent: fc.boolean(),
        eventId: fc.option(text),
        pending: fc.constantFrom("CANCEL", "REPLACE"),
      },
      { requiredKeys: ["report", "position", "orderId", "resent", "eventId"] },
    ),
  );

  it("writes answerJson's bytes, one answer after another into one growing buffer", () => {
    fc.assert(
      fc.property(fc.array(answer, { minLength: 1, maxLength: 8 }), (answers) => {
        // A tiny first buffer: every answer makes it grow.
        const out = new JsonBytes(1);
        for (const a of answers) writeAnswerJson(out, a as never).text(",");
        expect(out.bytes().toString("utf8")).toBe(
          answers.map((a) => `${answerJson(a as never)},`).join(""),
        );
      }),
      { numRuns: 500 },
    );
  });
});
