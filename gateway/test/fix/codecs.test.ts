import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  FIELDS,
  type FixMessage,
  OTHER_FIX_TAGS,
  SOH,
  checksumOf,
  decodeFixJson,
  decodeTagValue,
  encodeFixJson,
  encodeTagValue,
  fixMessage,
} from "../../src/fix/index.ts";

const knownTags = [...FIELDS.map((d) => d.tag), ...OTHER_FIX_TAGS.keys()].filter(
  (t) => t !== 8 && t !== 9 && t !== 10,
);
const anyTag = fc.oneof(fc.constantFrom(...knownTags), fc.integer({ min: 11, max: 99_999 }));
// Values free of both delimiters (a field value can never carry its own delimiter).
const value = fc
  .string({ unit: "grapheme", maxLength: 20 })
  .filter((s) => !s.includes("|") && !s.includes(SOH));

const message: fc.Arbitrary<FixMessage> = fc
  .record({
    begin: fc.option(fc.constantFrom("FIX.4.4", "FIXT.1.1"), { nil: undefined }),
    fields: fc.uniqueArray(
      fc.tuple(
        anyTag.filter((t) => t !== 9 && t !== 10 && t !== 8),
        value,
      ),
      {
        selector: ([t]) => t,
        maxLength: 12,
      },
    ),
  })
  .map(({ begin, fields }) =>
    fixMessage([
      ...(begin ? [{ tag: 8, value: begin }] : []),
      ...fields.map(([tag, v]) => ({ tag, value: v })),
    ]),
  )
  .filter((m) => m.fields.length > 0);

describe("tag=value codec", () => {
  it("round-trips any message losslessly with either delimiter", () => {
    fc.assert(
      fc.property(message, fc.constantFrom(SOH, "|" as const), (m, d) => {
        const text = encodeTagValue(m, d);
        const back = decodeTagValue(text);
        expect(back).toEqual({ ok: true, value: m });
        if (back.ok) expect(encodeTagValue(back.value, d)).toBe(text);
      }),
    );
  });

  it("computes BodyLength and CheckSum as FIX defines them", () => {
    const text = encodeTagValue(
      fixMessage([
        { tag: 8, value: "FIX.4.4" },
        { tag: 35, value: "D" },
        { tag: 11, value: "a1" },
      ]),
    );
    // body = "35=D\x0111=a1\x01" = 11 bytes
    expect(text.startsWith(`8=FIX.4.4${SOH}9=11${SOH}35=D${SOH}11=a1${SOH}10=`)).toBe(true);
    const head = text.slice(0, text.indexOf("10="));
    const sum = [...Buffer.from(head)].reduce((a, b) => a + b, 0) % 256;
    expect(text.endsWith(`10=${String(sum).padStart(3, "0")}${SOH}`)).toBe(true);
    expect(checksumOf(head)).toBe(String(sum).padStart(3, "0"));
  });

  it("rejects a wrong BodyLength or CheckSum with the tag named", () => {
    const good = encodeTagValue(
      fixMessage([
        { tag: 8, value: "FIX.4.4" },
        { tag: 35, value: "D" },
      ]),
      "|",
    );
    const badLen = good.replace("9=5|", "9=6|");
    expect(decodeTagValue(badLen)).toMatchObject({ ok: false, error: { reason: 5, refTagId: 9 } });
    const badSum = good.replace(/10=\d{3}\|$/, "10=000|");
    expect(decodeTagValue(badSum)).toMatchObject({ ok: false, error: { reason: 5, refTagId: 10 } });
    expect(decodeTagValue("35=D|10=123|")).toMatchObject({
      ok: false,
      error: { reason: 14, refTagId: 10 },
    });
    expect(decodeTagValue("8=FIX.4.4|35=D|")).toMatchObject({
      ok: false,
      error: { reason: 1, refTagId: 9 },
    });
  });

  it("rejects malformed fields as invalid tags", () => {
    for (const bad of ["", "35", "35=D||11=x", "x=1|35=D", "035=D", "-1=2"]) {
      expect(decodeTagValue(bad).ok, bad).toBe(false);
    }
    expect(decodeTagValue("35=D|58=|")).toEqual({
      ok: true,
      value: fixMessage([
        { tag: 35, value: "D" },
        { tag: 58, value: "" },
      ]),
    });
  });
});

describe("FIX JSON codec", () => {
  const noBegin = message.map((m) => fixMessage(m.fields.filter((f) => f.tag !== 8)));

  it("round-trips any message losslessly (flat)", () => {
    fc.assert(
      fc.property(message, (m) => {
        const text = encodeFixJson(m);
        expect(decodeFixJson(text)).toEqual({ ok: true, value: m });
      }),
    );
  });

  it("is lossless across encodings: JSON → tag=value → JSON", () => {
    fc.assert(
      fc.property(
        noBegin.filter((m) => m.fields.length > 0),
        (m) => {
          const json = encodeFixJson(m);
          const viaTv = decodeTagValue(encodeTagValue(m, "|"));
          expect(viaTv.ok).toBe(true);
          if (viaTv.ok) expect(encodeFixJson(viaTv.value)).toBe(json);
        },
      ),
    );
  });

  it("reads the standard Header/Body/Trailer envelope", () => {
    const text = JSON.stringify({
      Header: { BeginString: "FIXT.1.1", MsgType: "D" },
      Body: { ClOrdID: "c1", Side: "1" },
      Trailer: {},
    });
    const m = decodeFixJson(text);
    expect(m).toEqual({
      ok: true,
      value: fixMessage([
        { tag: 8, value: "FIXT.1.1" },
        { tag: 35, value: "D" },
        { tag: 11, value: "c1" },
        { tag: 54, value: "1" },
      ]),
    });
    if (m.ok) expect(decodeFixJson(encodeFixJson(m.value, "envelope"))).toEqual(m);
  });

  it("keeps duplicate keys so validation can reject the repeat", () => {
    expect(decodeFixJson('{"MsgType":"D","Side":"1","Side":"2"}')).toEqual({
      ok: true,
      value: fixMessage([
        { tag: 35, value: "D" },
        { tag: 54, value: "1" },
        { tag: 54, value: "2" },
      ]),
    });
  });

  it("decodes a flat object of plain strings as the general parser does", () => {
    // decodeFixJson reads the usual message (a flat object of strings without
    // escapes) in a scan of its own. An escape makes it take the general
    // parser, so the same text with one key's first character escaped must
    // decode to the same result, success or reject.
    const names = [
      ...FIELDS.map((d) => d.name),
      ...OTHER_FIX_TAGS.values(),
      "BodyLength",
      "CheckSum",
    ];
    const plain = fc
      .string({ maxLength: 12 })
      .filter((s) => [...s].every((c) => c !== '"' && c !== "\\" && c >= " "));
    const key = fc.oneof(
      fc.constantFrom(...names),
      fc.constantFrom("Header", "Body", "9999", "0"),
      plain,
    );
    const ws = fc.constantFrom("", " ", "\n\t ", "\r\n");
    fc.assert(
      fc.property(
        fc.array(fc.tuple(key, plain, ws), { minLength: 1, maxLength: 12 }),
        ws,
        (entries, edge) => {
          const text = (escapeFirst: boolean) =>
            `${edge}{${entries
              .map(([k, v, w], i) => {
                const name =
                  escapeFirst && i === 0 && k.length > 0
                    ? `\\u${k.charCodeAt(0).toString(16).padStart(4, "0")}${k.slice(1)}`
                    : k;
                return `${w}"${name}"${w}:${w}${JSON.stringify(v)}${w}`;
              })
              .join(",")}}${edge}`;
          fc.pre(entries[0]![0].length > 0);
          expect(decodeFixJson(text(false))).toEqual(decodeFixJson(text(true)));
        },
      ),
    );
    expect(decodeFixJson(' {"MsgType" : "D","ClOrdID":"a b"} ')).toEqual({
      ok: true,
      value: fixMessage([
        { tag: 35, value: "D" },
        { tag: 11, value: "a b" },
      ]),
    });
    expect(decodeFixJson('{"MsgType":"D","Text":"say \\"hi\\""}')).toEqual({
      ok: true,
      value: fixMessage([
        { tag: 35, value: "D" },
        { tag: 58, value: 'say "hi"' },
      ]),
    });
    expect(decodeFixJson('{"BodyLength":"12"}')).toMatchObject({
      ok: false,
      error: { reason: 2, refTagId: 9 },
    });
    expect(decodeFixJson('{"Header":"x"}')).toMatchObject({ ok: false, error: { reason: 99 } });
  });

  it("rejects non-string values, unknown names and bad JSON, typed", () => {
    expect(decodeFixJson('{"MsgType":"D","OrderQty":100}')).toMatchObject({
      ok: false,
      error: { kind: "session", reason: 6, refTagId: 38 },
    });
    expect(decodeFixJson('{"MsgType":"D","Colour":"red"}')).toMatchObject({
      ok: false,
      error: { reason: 0 },
    });
    for (const bad of ["", "{", "[]", '"D"', '{"MsgType":"D",}', '{"MsgType":"D"} x', "{'a':1}"]) {
      const r = decodeFixJson(bad);
      expect(r.ok, bad).toBe(false);
    }
    expect(decodeFixJson('{"Header":{"MsgType":"D"},"Extra":{}}').ok).toBe(false);
  });
});
