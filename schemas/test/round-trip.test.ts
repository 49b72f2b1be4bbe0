import { type OrdRejReason, pairSeq, timestampNs } from "@fxcore/domain";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { readerType, writerType } from "../src/catalog/avro-types.ts";
import { loadCatalog } from "../src/catalog/catalog.ts";
import type { Envelope } from "../src/envelope/envelope.ts";
import { planRead, readBody, writeBody } from "../src/serde/avro-body.ts";
import { EncodeError } from "../src/serde/decode-error.ts";
import { sampleEnvelopes, sampleMeta, samples } from "./samples.ts";

const catalog = loadCatalog();

function roundTrip(env: Envelope): Envelope {
  const body = writeBody(catalog, env);
  const plan = planRead(catalog, writerType(catalog.current(env.payload.type)!.schema));
  if (!plan.ok) throw new Error(plan.error.message);
  const r = readBody(body, plan.value);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

describe("Avro round trip of every payload type", () => {
  it.each(sampleEnvelopes().map((e) => [e.payload.type, e] as const))("%s", (_, env) => {
    const back = roundTrip(env);
    expect(back).toStrictEqual(env);
    expect(typeof back.meta.occurredAt).toBe("bigint");
  });

  it("keeps an optional field absent, not null, when it was absent", () => {
    const env = { meta: sampleMeta(1), payload: samples.CancelRejected[0]! };
    expect("seq" in roundTrip(env).payload).toBe(false);
    const withSeq = { meta: sampleMeta(2), payload: samples.CancelRejected[1]! };
    expect(roundTrip(withSeq).payload).toMatchObject({ seq: 11 });
  });

  it("carries any int64 timestamp and any safe-integer price exactly", () => {
    const base = samples.TradeExecuted[0]!;
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
        fc.maxSafeInteger(),
        fc.maxSafeNat(),
        (t, price, seq) => {
          const env: Envelope = {
            meta: { ...sampleMeta(2), occurredAt: timestampNs(t) },
            payload: {
              ...base,
              transactTime: timestampNs(t),
              price: price as never,
              seq: pairSeq(seq),
            },
          };
          expect(roundTrip(env)).toStrictEqual(env);
        },
      ),
    );
  });
});

describe("encoding refuses values the schema cannot carry", () => {
  const base = samples.OrderAccepted[0]!;
  const cases: [string, Record<string, unknown>, string][] = [
    ["a fractional price", { price: 1.5 }, "price"],
    ["an unsafe quantity", { qty: 2 ** 53 }, "qty"],
    ["an unknown side", { side: "SHORT" }, "side"],
    ["a number timestamp", { transactTime: 1 }, "transactTime"],
    ["a missing field", { tif: undefined }, "tif"],
  ];
  it.each(cases)("%s", (_, patch, path) => {
    const env = { meta: sampleMeta(1), payload: { ...base, ...patch } } as unknown as Envelope;
    expect(() => writeBody(catalog, env)).toThrow(EncodeError);
    try {
      writeBody(catalog, env);
    } catch (e) {
      expect((e as EncodeError).paths).toContain(path);
    }
  });

  it("an unknown FIX reason code", () => {
    const env = {
      meta: sampleMeta(1),
      payload: { ...samples.OrderRejected[0]!, reason: 42 as OrdRejReason },
    };
    expect(() => writeBody(catalog, env)).toThrow(/reason/);
  });

  it("a meta.pairSeq that contradicts the event's seq", () => {
    const env = {
      meta: { ...sampleMeta(1), pairSeq: pairSeq(6) },
      payload: samples.TradeExecuted[0]!,
    };
    expect(() => writeBody(catalog, env)).toThrow(/pairSeq 6 differs from the event's seq 7/);
    expect(() =>
      writeBody(catalog, { ...env, meta: { ...env.meta, pairSeq: pairSeq(7) } }),
    ).not.toThrow();
  });

  it("a payload type without a schema", () => {
    const env = { meta: sampleMeta(1), payload: { type: "Nope" } } as unknown as Envelope;
    expect(() => writeBody(catalog, env)).toThrow(/no schema for payload type Nope/);
  });
});

describe("decoding refuses values the domain cannot hold", () => {
  it("a long beyond the safe integer range is INVALID_BODY, not a rounded number", () => {
    // A writer whose `price` is a full int64 (same layout, bigint in JS).
    const schema = structuredClone(catalog.current("TradeExecuted")!.schema) as unknown as {
      fields: { name: string; type: unknown }[];
    };
    schema.fields.find((f) => f.name === "price")!.type = {
      type: "long",
      logicalType: "timestamp-nanos",
    };
    const wide = readerType(schema as never);
    const value = {
      ...(wide.fromBuffer(
        writeBody(catalog, sampleEnvelopes().find((e) => e.payload.type === "TradeExecuted")!),
      ) as object),
      price: 2n ** 60n,
    };
    const plan = planRead(catalog, writerType(schema as never));
    if (!plan.ok) throw new Error(plan.error.message);
    const r = readBody(wide.toBuffer(value), plan.value);
    expect(r.ok ? "decoded" : r.error).toMatchObject({
      kind: "INVALID_BODY",
      message: expect.stringMatching(/safe integer/),
    });
  });
});
