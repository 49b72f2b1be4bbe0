// Bounded fuzz of the running app over real HTTP (port 18183): malformed FIX
// tag=value and FIX JSON messages, signed so they get past authentication.
// Invariants: never a 5xx, every refusal carries a stable code, every FIX
// refusal carries a FIX reject that agrees with the status, and every success
// is an ExecutionReport that conforms to the dictionary.

import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signedHeaders } from "../../src/auth/signing.ts";
import {
  FIELDS,
  decodeFixJson,
  decodeTagValue,
  encodeTagValue,
  fixMessage,
  validate,
} from "../../src/fix/index.ts";
import { makeHarness, type TestKey } from "../support/harness.ts";

const PORT = 18183;
const RUNS = Number(process.env.GATEWAY_FUZZ_RUNS ?? 300);
let h: Awaited<ReturnType<typeof makeHarness>>;
let key: TestKey;

beforeAll(async () => {
  h = await makeHarness({
    rateLimits: {
      perKey: { order: { ratePerSec: 1e6, burst: 1e6 }, query: { ratePerSec: 1e6, burst: 1e6 } },
      perAccount: {
        order: { ratePerSec: 1e6, burst: 1e6 },
        query: { ratePerSec: 1e6, burst: 1e6 },
      },
    },
    now: () => Date.now(),
  });
  key = h.addKey({ accounts: ["ACC1"], roles: ["trader"] });
  await h.app.listen({ host: "127.0.0.1", port: PORT });
});
afterAll(() => h.app.close());

const post = async (body: string, contentType: string) => {
  const headers = {
    ...signedHeaders(key.id, key.secret, "POST", "/v1/fix", body, Date.now()),
    "content-type": contentType,
  };
  const res = await fetch(`http://127.0.0.1:${PORT}/v1/fix`, { method: "POST", headers, body });
  return {
    status: res.status,
    type: res.headers.get("content-type") ?? "",
    code: res.headers.get("fx-error-code"),
    text: await res.text(),
  };
};

const STATUS_OF_REJECT: Record<string, number[]> = {
  "3": [400],
  j: [400, 403, 404, 422, 429, 503],
  "8": [422],
  "9": [404, 409],
};

const checkAnswer = (r: Awaited<ReturnType<typeof post>>, sent: "fix" | "json") => {
  expect(r.status, r.text).toBeLessThan(500);
  if (r.status === 200) {
    const m =
      sent === "fix" ? decodeTagValue(r.text) : { ok: true as const, value: jsonToFix(r.text) };
    expect(m.ok).toBe(true);
    if (m.ok) expect(validate(m.value, "out").ok, r.text).toBe(true);
    return;
  }
  expect(r.code, r.text).toMatch(/^[A-Z_]+$/);
  let msgType: string | undefined;
  if (r.type.startsWith("application/fix")) {
    const m = decodeTagValue(r.text);
    expect(m.ok).toBe(true);
    if (m.ok) {
      expect(validate(m.value, "out").ok, r.text).toBe(true);
      msgType = m.value.fields.find((f) => f.tag === 35)?.value;
    }
  } else {
    const body = JSON.parse(r.text) as {
      error: { code: string; message: string; fix?: Record<string, string> };
    };
    expect(body.error.code).toBe(r.code);
    expect(typeof body.error.message).toBe("string");
    msgType = body.error.fix?.MsgType;
    if (body.error.fix)
      expect(validate(jsonToFix(JSON.stringify(body.error.fix)), "out").ok, r.text).toBe(true);
  }
  if (msgType !== undefined)
    expect(STATUS_OF_REJECT[msgType], `${msgType} ${r.status}`).toContain(r.status);
  else expect([401, 413, 415, 504]).toContain(r.status);
};

const jsonToFix = (text: string) => {
  const m = decodeFixJson(text);
  if (!m.ok) throw new Error(`answer is not FIX JSON: ${text}`);
  return m.value;
};

const tags = FIELDS.map((f) => f.tag);
const value = fc.oneof(
  fc.constantFrom(
    "",
    "1",
    "2",
    "D",
    "EURUSD",
    "1.10000",
    "1000000",
    "20260101-10:00:00",
    "-1",
    "1e5",
    "Y",
    "6",
    "ACC1",
    "ACC2",
    "0",
    "99",
  ),
  fc.string({ maxLength: 12 }),
  fc.string({ unit: "binary", maxLength: 8 }),
);
const field = fc.tuple(
  fc.oneof(fc.constantFrom(...tags), fc.integer({ min: 0, max: 20_000 })),
  value,
);
const valid = [
  [35, "D"],
  [11, "f"],
  [55, "EURUSD"],
  [54, "1"],
  [60, "20260101-10:00:00"],
  [38, "1000"],
  [40, "2"],
  [44, "1.1"],
] as const;

const tagValue = fc.oneof(
  // a valid message with random edits
  fc
    .tuple(fc.array(field, { maxLength: 4 }), fc.nat({ max: 8 }), fc.boolean())
    .map(([extra, drop, envelope]) => {
      const fields = valid.filter((_, i) => i !== drop).map(([tag, v]) => ({ tag, value: v }));
      const all = [...fields, ...extra.map(([tag, v]) => ({ tag, value: v }))].filter(
        (f) => !f.value.includes("|") && !f.value.includes("\x01"),
      );
      return encodeTagValue(
        fixMessage(
          envelope
            ? [
                { tag: 8, value: "FIX.4.4" },
                ...all.filter((f) => f.tag !== 8 && f.tag !== 9 && f.tag !== 10),
              ]
            : all,
        ),
        "|",
      );
    }),
  // random fields
  fc.array(field, { maxLength: 12 }).map((fs) => fs.map(([t, v]) => `${t}=${v}`).join("|")),
  // raw noise
  fc.string({ maxLength: 64 }),
  fc.string({ unit: "binary", maxLength: 64 }),
);

const names = FIELDS.map((f) => f.name);
const jsonValue = fc.oneof(
  value,
  fc.integer(),
  fc.constant(null),
  fc.boolean(),
  fc.array(fc.string(), { maxLength: 2 }),
);
const json = fc.oneof(
  fc
    .tuple(
      fc.array(
        fc.tuple(fc.oneof(fc.constantFrom(...names), fc.string({ maxLength: 8 })), jsonValue),
        { maxLength: 6 },
      ),
      fc.nat({ max: 8 }),
    )
    .map(([extra, drop]) => {
      const base = valid
        .filter((_, i) => i !== drop)
        .map(([tag, v]) => [FIELDS.find((f) => f.tag === tag)!.name, v] as const);
      return `{${[...base, ...extra].map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(",")}}`;
    }),
  fc.json({ maxDepth: 3 }),
  fc.string({ maxLength: 64 }),
  fc.constantFrom(
    "{",
    "[",
    '{"Header":{"MsgType":"D"},"Body":[]}',
    '{"MsgType":"D","MsgType":"F"}',
    "\u0000",
    '{"a":'.repeat(50),
  ),
);

describe("fuzz: malformed FIX over HTTP", () => {
  it(`never answers 5xx and always types its rejects (tag=value, ${RUNS} runs)`, async () => {
    await fc.assert(
      fc.asyncProperty(tagValue, async (body) => {
        checkAnswer(await post(body, "application/fix"), "fix");
      }),
      { numRuns: RUNS },
    );
  });

  it(`never answers 5xx and always types its rejects (FIX JSON, ${RUNS} runs)`, async () => {
    await fc.assert(
      fc.asyncProperty(json, async (body) => {
        checkAnswer(await post(body, "application/json"), "json");
      }),
      { numRuns: RUNS },
    );
  });
});
