import { DOMAIN_EVENT_TYPES, REFERENCE_CATALOG } from "@fxcore/domain";
import {
  compileEnvelopeCodec,
  createSink,
  type Envelope,
  loadCatalog,
  planRead,
  readBody,
  writeBody,
  writerType,
} from "@fxcore/schemas";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { sampleEnvelopes } from "../../schemas/test/samples.ts";
import { PartitionMatcher } from "../src/partition-matcher.ts";
import { generateInputs } from "./support/input-stream.ts";

// The schemas' compiled codec, on the matcher's own traffic (every input type
// and every output the engine emits), must be indistinguishable from the shared serde: the same
// bytes for every envelope it writes, the same envelope for every body it
// reads, and no answer at all (the serde then decides) for bytes it cannot
// read exactly as the serde would.

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
  const sink = createSink(16);
  return codecOf(e.payload.type).write(sink, e)
    ? Buffer.from(sink.buf.subarray(0, sink.pos))
    : undefined;
}
const serdeRead = (type: string, body: Buffer) => readBody(body, plans.get(type)!);

/** Inputs of every matcher input type and the engine's outputs of every type it emits. */
function engineTraffic(): Envelope[] {
  const pairs = ["EURUSD", "USDJPY", "GBPUSD", "EURGBP"];
  const inputs = generateInputs({ seed: 5, count: 4_000, pairs });
  const m = new PartitionMatcher({ catalog: REFERENCE_CATALOG, writerEpoch: 2 });
  const outputs: Envelope[] = [];
  for (const input of inputs) {
    const r = m.apply(input);
    if (r.kind === "outputs") outputs.push(...r.outputs);
  }
  return [...inputs, ...outputs];
}

describe("fast Avro path", () => {
  const engine = engineTraffic();
  const traffic = [...engine, ...sampleEnvelopes()];

  test("covers every payload type", () => {
    const types = new Set(traffic.map((e) => e.payload.type));
    for (const t of DOMAIN_EVENT_TYPES) {
      expect(types.has(t as never), t).toBe(true);
    }
  });

  test("writes the serde's bytes and reads the serde's envelopes", () => {
    for (const e of traffic) {
      const want = writeBody(catalog, e);
      const got = fastBytes(e);
      expect(got?.toString("hex"), e.payload.type).toBe(want.toString("hex"));
      const read = codecOf(e.payload.type).read(want, 0);
      const serde = serdeRead(e.payload.type, want);
      expect(serde.ok).toBe(true);
      // The edge samples (e.g. MAX_SAFE_INTEGER, 8 varint bytes) may be declined; real traffic may not.
      if (read === undefined && !engine.includes(e)) continue;
      expect(read).toEqual(serde.ok ? serde.value : undefined);
      // Key order too: the envelope is the same object shape.
      expect(Object.keys(read!.payload)).toEqual(Object.keys(serde.ok ? serde.value.payload : {}));
    }
  });

  test("arbitrary strings and numbers: same bytes, same envelope back", () => {
    const base = traffic.find((e) => e.payload.type === "OrderAccepted")!;
    fc.assert(
      fc.property(
        fc.string({ unit: "grapheme", maxLength: 80 }),
        fc.string({ maxLength: 70 }),
        fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
        fc.oneof(
          fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
          // Edges of the 64-bit range and of the varint's byte and 32-bit boundaries.
          fc.constantFrom(
            -(2n ** 63n),
            2n ** 63n - 1n,
            -1n,
            0n,
            1n,
            63n,
            -64n,
            2n ** 31n,
            -(2n ** 31n) - 1n,
            2n ** 53n + 1n,
            -(2n ** 53n) - 1n,
          ),
        ),
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
          const serde = serdeRead("OrderAccepted", want);
          if (read !== undefined) expect(serde.ok && read).toEqual(serde.ok && serde.value);
          return true;
        },
      ),
      { numRuns: 400 },
    );
  });

  test("a value the schema refuses is left to the serde", () => {
    const base = traffic.find((e) => e.payload.type === "TradeExecuted")!;
    const bad = [
      { ...base.payload, qty: 1.5 },
      { ...base.payload, qty: 2 ** 60 },
      { ...base.payload, symbol: 42 },
      { ...base.payload, aggressorSide: "SIDEWAYS" },
      { ...base.payload, execId: undefined },
    ];
    for (const payload of bad) {
      const e = { meta: base.meta, payload } as unknown as Envelope;
      expect(fastBytes(e)).toBeUndefined();
      expect(() => writeBody(catalog, e)).toThrow();
    }
    const lone = { ...base, meta: { ...base.meta, correlationId: "a\ud800b" } };
    expect(fastBytes(lone)).toBeUndefined();
  });

  test("damaged bodies: either declined or read exactly as the serde reads them", () => {
    const bodies = traffic
      .slice(0, 300)
      .map((e) => ({ type: e.payload.type, body: writeBody(catalog, e) }));
    fc.assert(
      fc.property(
        fc.nat(bodies.length - 1),
        fc.nat(),
        fc.integer({ min: 0, max: 255 }),
        fc.constantFrom("flip", "truncate", "append"),
        (which, at, byte, how) => {
          const { type, body } = bodies[which]!;
          const i = at % body.length;
          const damaged =
            how === "truncate"
              ? body.subarray(0, i)
              : how === "append"
                ? Buffer.concat([body, Buffer.from([byte])])
                : Buffer.from(body).fill(byte, i, i + 1);
          const fast = codecOf(type).read(damaged, 0);
          const serde = serdeRead(type, damaged);
          if (fast === undefined) return true;
          expect(serde.ok).toBe(true);
          expect(fast).toEqual(serde.ok ? serde.value : undefined);
          return true;
        },
      ),
      { numRuns: 3_000 },
    );
  });
});
