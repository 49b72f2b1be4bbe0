import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { writerType } from "../src/catalog/avro-types.ts";
import { loadCatalog } from "../src/catalog/catalog.ts";
import { planRead, readBody, writeBody } from "../src/serde/avro-body.ts";
import { frame, unframe } from "../src/serde/wire.ts";
import { sampleEnvelopes } from "./samples.ts";

const catalog = loadCatalog();
const planFor = (type: string) => {
  const plan = planRead(catalog, writerType(catalog.current(type)!.schema), 7);
  if (!plan.ok) throw new Error(plan.error.message);
  return plan.value;
};

describe("wire framing", () => {
  it("round-trips any schema id and body", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), fc.uint8Array(), (id, body) => {
        const r = unframe(frame(id, body));
        expect(r.ok && r.value.schemaId === id && Buffer.from(body).equals(r.value.body)).toBe(
          true,
        );
      }),
    );
  });

  it("writes magic byte 0 and a big-endian id", () => {
    expect([...frame(0x01020304, Buffer.from([9]))]).toEqual([0, 1, 2, 3, 4, 9]);
  });

  it.each([
    ["null", null, "TRUNCATED"],
    ["empty", Buffer.alloc(0), "TRUNCATED"],
    ["short header", Buffer.from([0, 0, 1]), "TRUNCATED"],
    ["bad magic", Buffer.from([1, 0, 0, 0, 1, 2]), "BAD_MAGIC_BYTE"],
    ["JSON text", Buffer.from('{"type":"OrderAccepted"}'), "BAD_MAGIC_BYTE"],
    ["id 0", Buffer.from([0, 0, 0, 0, 0, 2]), "UNKNOWN_SCHEMA_ID"],
    ["negative id", Buffer.from([0, 0xff, 0xff, 0xff, 0xff, 2]), "UNKNOWN_SCHEMA_ID"],
  ] as const)("rejects %s as %s", (_, bytes, kind) => {
    const r = unframe(bytes);
    expect(r.ok ? "ok" : r.error.kind).toBe(kind);
  });
});

describe("Avro body decoding of malformed bytes", () => {
  it("classifies every truncation of every sample as TRUNCATED", () => {
    for (const env of sampleEnvelopes()) {
      const body = writeBody(catalog, env);
      const plan = planFor(env.payload.type);
      for (let cut = 0; cut < body.length; cut++) {
        const r = readBody(body.subarray(0, cut), plan, 7);
        expect(r.ok ? "decoded" : r.error.kind, `${env.payload.type} cut at ${cut}`).toBe(
          "TRUNCATED",
        );
      }
    }
  });

  it("rejects trailing bytes as INVALID_BODY", () => {
    const env = sampleEnvelopes()[0]!;
    const body = Buffer.concat([writeBody(catalog, env), Buffer.from([0])]);
    const r = readBody(body, planFor(env.payload.type), 7);
    expect(r.ok ? "decoded" : r.error).toMatchObject({ kind: "INVALID_BODY", schemaId: 7 });
  });

  it("rejects an out-of-range enum index and a bad union index as INVALID_BODY", () => {
    const env = sampleEnvelopes().find((e) => e.payload.type === "TimeAdvanced")!;
    const body = writeBody(catalog, env);
    const plan = planFor("TimeAdvanced");
    // meta.eventId is first: a string of 36 bytes, then occurredAt, correlationId, then the causationId union index.
    const corrupted = Buffer.from(body);
    const unionAt = 1 + 36 + 9 + 1 + "corr-X".length; // length varint, eventId, occurredAt (9-byte varint), correlationId
    expect(corrupted[unionAt]).toBeLessThanOrEqual(2); // sanity: union index 0 or 1 (zigzag)
    corrupted[unionAt] = 8; // union index 4: no such branch
    const r = readBody(corrupted, plan, 7);
    expect(r.ok ? "decoded" : r.error.kind).toBe("INVALID_BODY");
  });
});
