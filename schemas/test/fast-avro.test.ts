import { DOMAIN_EVENT_TYPES } from "@fxcore/domain";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { writerType } from "../src/catalog/avro-types.ts";
import { loadCatalog } from "../src/catalog/catalog.ts";
import type { Envelope } from "../src/envelope/envelope.ts";
import { planRead, readBody, writeBody } from "../src/serde/avro-body.ts";
import { compileEnvelopeCodec, createSink } from "../src/serde/fast-avro.ts";
import { sampleEnvelopes } from "./samples.ts";

// The compiled codec behind encodeSync must be indistinguishable from the
// avsc path: the same bytes for every envelope it writes, no bytes at all
// (the serde then decides) for a value the schema may refuse, and the same
// envelope back for what it reads.

const catalog = loadCatalog();
const codecOf = (type: string) =>
  compileEnvelopeCodec(catalog.current(type)!, catalog.codec(type)!);
const plans = new Map(
  catalog.names.map((n) => {
    const plan = planRead(catalog, writerType(catalog.current(n)!.schema));
    if (!plan.ok) throw new Error(n);
    return [n, plan.value];
  }),
);

function fastBytes(e: Envelope): Buffer | undefined {
  const sink = createSink(16); // tiny: every write grows it
  return codecOf(e.payload.type).write(sink, e)
    ? Buffer.from(sink.buf.subarray(0, sink.pos))
    : undefined;
}

describe("compiled Avro codec", () => {
  const samples = sampleEnvelopes();

  test("samples cover every domain event type", () => {
    const types = new Set(samples.map((e) => e.payload.type));
    for (const t of DOMAIN_EVENT_TYPES) expect(types.has(t as never), t).toBe(true);
  });

  test("writes writeBody's bytes for every sample", () => {
    for (const e of samples) {
      expect(fastBytes(e)?.toString("hex"), e.payload.type).toBe(
        writeBody(catalog, e).toString("hex"),
      );
    }
  });

  test("arbitrary strings, quantities and timestamps: writeBody's bytes, read back alike", () => {
    const base = samples.find((e) => e.payload.type === "OrderAccepted")!;
    fc.assert(
      fc.property(
        fc.string({ unit: "grapheme", maxLength: 80 }),
        fc.string({ maxLength: 70 }),
        fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
        fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
        fc.option(fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER })),
        (s1, s2, q, ns, minQty) => {
          const e = {
            meta: { ...base.meta, correlationId: s1, occurredAt: ns, causationId: s2 },
            payload: {
              ...base.payload,
              clOrdId: s2,
              account: s1,
              qty: q,
              transactTime: ns,
              minQty,
            },
          } as unknown as Envelope;
          const want = writeBody(catalog, e);
          const got = fastBytes(e);
          if (got === undefined) return !(s1.isWellFormed() && s2.isWellFormed());
          expect(got.toString("hex")).toBe(want.toString("hex"));
          const read = codecOf("OrderAccepted").read(want, 0);
          const serde = readBody(want, plans.get("OrderAccepted")!);
          if (read !== undefined) expect(serde.ok && read).toEqual(serde.ok && serde.value);
          return true;
        },
      ),
      { numRuns: 400 },
    );
  });

  test("a value the schema refuses is declined (left to the serde, which throws)", () => {
    const base = samples.find((e) => e.payload.type === "OrderAccepted")!;
    const bad = [
      { ...base.payload, qty: 1.5 },
      { ...base.payload, qty: 2 ** 60 },
      { ...base.payload, symbol: 42 },
      { ...base.payload, side: "SIDEWAYS" },
      { ...base.payload, clOrdId: undefined },
    ];
    for (const payload of bad) {
      const e = { meta: base.meta, payload } as unknown as Envelope;
      expect(fastBytes(e)).toBeUndefined();
      expect(() => writeBody(catalog, e)).toThrow();
    }
    expect(
      fastBytes({ ...base, meta: { ...base.meta, correlationId: "a\ud800b" } }),
    ).toBeUndefined();
  });
});
