import { DOMAIN_EVENT_TYPES } from "@fxcore/domain";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import type { Envelope } from "../src/envelope/envelope.ts";
import { writeBody } from "../src/serde/avro-body.ts";
import { catalog, codecOf, fastBytes, serdeRead } from "./codec-support.ts";
import { sampleEnvelopes } from "./samples.ts";

// The compiled codec behind encodeSync must be indistinguishable from the
// avsc path: the same bytes for every envelope it writes, no bytes at all
// (the serde then decides) for a value the schema may refuse, and the same
// envelope back for what it reads.

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

  test("arbitrary strings, quantities and timestamps (64-bit edges too): writeBody's bytes, read back alike", () => {
    const base = samples.find((e) => e.payload.type === "OrderAccepted")!;
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

  test("damaged bodies: either declined or read exactly as the serde reads them", () => {
    const bodies = samples.map((e) => ({ type: e.payload.type, body: writeBody(catalog, e) }));
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
