import { DOMAIN_EVENT_TYPES, REFERENCE_CATALOG } from "@fxcore/domain";
import { type Envelope, writeBody } from "@fxcore/schemas";
import { describe, expect, test } from "vitest";
import { catalog, codecOf, fastBytes, serdeRead } from "../../schemas/test/codec-support.ts";
import { sampleEnvelopes } from "../../schemas/test/samples.ts";
import { PartitionMatcher } from "../src/partition-matcher.ts";
import { generateInputs } from "./support/input-stream.ts";

// The schemas' compiled codec on the matcher's own traffic (every input type
// and every output the engine emits): the serde's bytes and envelopes for all
// of it. The codec's generic properties (random values, 64-bit edges, refused
// values, damaged bodies) are schemas/test/fast-avro.test.ts's.

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
});
