import { describe, expect, it } from "vitest";
import { decodeTagValue, validate } from "../../src/fix/index.ts";

const check = (text: string) => {
  const m = decodeTagValue(text);
  if (!m.ok) throw new Error(`decode failed: ${m.error.text}`);
  return validate(m.value);
};

const NOS =
  "35=D|11=c1|1=ACC1|55=EURUSD|54=1|60=20260101-10:00:00.000|38=1000000|40=2|44=1.10000|59=0|";

describe("data dictionary validation", () => {
  it("accepts a well-formed NewOrderSingle, cancel, replace and status request", () => {
    expect(check(NOS).ok).toBe(true);
    expect(check("35=F|41=c1|11=c2|55=EURUSD|54=1|60=20260101-10:00:00|").ok).toBe(true);
    expect(
      check("35=G|41=c1|11=c3|55=EURUSD|54=1|60=20260101-10:00:00.123456|40=2|38=5|44=1.2|").ok,
    ).toBe(true);
    expect(check("35=H|11=c1|55=EURUSD|54=2|").ok).toBe(true);
  });

  const cases: ReadonlyArray<[string, string, Record<string, unknown>]> = [
    ["MsgType missing", "11=c1|55=EURUSD|", { kind: "session", reason: 1, refTagId: 35 }],
    ["MsgType empty", "35=|11=c1|", { kind: "session", reason: 4, refTagId: 35 }],
    ["unknown MsgType", "35=ZZ|11=c1|", { kind: "session", reason: 11, refTagId: 35 }],
    ["unsupported FIX MsgType", "35=V|", { kind: "business", reason: 3, refMsgType: "V" }],
    ["outbound MsgType sent in", "35=8|", { kind: "business", reason: 3, refMsgType: "8" }],
    ["unknown tag", NOS + "9999=x|", { kind: "session", reason: 0, refTagId: 9999 }],
    [
      "known FIX tag not allowed here",
      NOS + "99=1.2|",
      { kind: "session", reason: 2, refTagId: 99 },
    ],
    [
      "dictionary tag not allowed in this message",
      "35=H|11=c1|55=EURUSD|54=1|44=1.1|",
      { reason: 2, refTagId: 44 },
    ],
    ["empty value", NOS.replace("11=c1", "11="), { reason: 4, refTagId: 11 }],
    ["bad enum", NOS.replace("54=1", "54=7"), { reason: 5, refTagId: 54 }],
    ["bad char", NOS.replace("54=1", "54=11"), { reason: 6, refTagId: 54 }],
    ["bad qty format", NOS.replace("38=1000000", "38=1e6"), { reason: 6, refTagId: 38 }],
    [
      "bad timestamp",
      NOS.replace("60=20260101-10:00:00.000", "60=20260230-10:00:00"),
      { reason: 6, refTagId: 60 },
    ],
    ["repeated tag", NOS + "54=2|", { reason: 13, refTagId: 54 }],
    ["required tag missing", NOS.replace("55=EURUSD|", ""), { reason: 1, refTagId: 55 }],
    ["ClOrdID with a space", NOS.replace("11=c1", "11=c 1"), { reason: 6, refTagId: 11 }],
    ["post-only is the only ExecInst", NOS + "18=6 1|", { reason: 5, refTagId: 18 }],
    [
      "limit without price",
      NOS.replace("44=1.10000|", ""),
      { kind: "business", reason: 5, refMsgType: "D", refId: "c1" },
    ],
    ["GTD without ExpireTime", NOS.replace("59=0", "59=6"), { kind: "business", reason: 5 }],
  ];
  it.each(cases)("%s", (_name, text, expected) => {
    const r = check(text);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error).toMatchObject(expected);
      expect(r.error.text.length).toBeGreaterThan(0);
    }
  });

  it("accepts a market order without price and GTD with ExpireTime", () => {
    expect(check(NOS.replace("40=2", "40=1").replace("44=1.10000|", "")).ok).toBe(true);
    expect(check(NOS.replace("59=0", "59=6") + "126=20260102-17:00:00|").ok).toBe(true);
  });
});
