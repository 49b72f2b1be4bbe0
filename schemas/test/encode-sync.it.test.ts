// encodeSync against the real schema registry: once a type is registered under
// a topic it gives encode's bytes synchronously; before, or for a value the
// schema may refuse, nothing (encode then decides).
import { infraSettings, uniqueSuffix } from "@fxcore/infra/testing";
import { beforeAll, describe, expect, it } from "vitest";
import type { Envelope } from "../src/envelope/envelope.ts";
import { setCompatibility } from "../src/serde/registry.ts";
import { createSerde } from "../src/serde/serde.ts";
import { sampleEnvelopes } from "./samples.ts";

let url: string;
beforeAll(async () => {
  url = infraSettings().SCHEMA_REGISTRY_URL;
  await setCompatibility(url);
});

describe("Serde.encodeSync", () => {
  it("gives encode's bytes once the type is registered under the topic, nothing before", async () => {
    const serde = createSerde({ registryUrl: url });
    const topic = `fx.sync.t-${uniqueSuffix()}`;
    const other = `fx.sync.o-${uniqueSuffix()}`;
    const kept: [Buffer, string][] = [];
    const seen = new Set<string>();
    for (const env of sampleEnvelopes()) {
      if (!seen.has(env.payload.type)) expect(serde.encodeSync(topic, env)).toBeUndefined();
      seen.add(env.payload.type);
      const bytes = await serde.encode(topic, env);
      // Registered for this topic only.
      expect(serde.encodeSync(other, env)).toBeUndefined();
      for (let i = 0; i < 3; i++) {
        const now = serde.encodeSync(topic, env);
        expect(now?.toString("hex"), env.payload.type).toBe(bytes.toString("hex"));
        if (now !== undefined) kept.push([now, bytes.toString("hex")]);
      }
      const decoded = await serde.decode(serde.encodeSync(topic, env)!);
      expect(decoded.ok ? decoded.value : decoded.error).toStrictEqual(env);
    }
    // Many records later (new slabs), the earlier ones are unchanged.
    const env = sampleEnvelopes()[0]!;
    for (let i = 0; i < 5_000; i++) serde.encodeSync(topic, env);
    for (const [buf, hex] of kept) expect(buf.toString("hex")).toBe(hex);
  });

  it("declines what encode refuses, and encode still refuses it", async () => {
    const serde = createSerde({ registryUrl: url });
    const topic = `fx.sync.r-${uniqueSuffix()}`;
    const good = sampleEnvelopes().find((e) => e.payload.type === "OrderAccepted")!;
    await serde.encode(topic, good);
    const bad = { meta: good.meta, payload: { ...good.payload, qty: 1.5 } } as unknown as Envelope;
    expect(serde.encodeSync(topic, bad)).toBeUndefined();
    await expect(serde.encode(topic, bad)).rejects.toThrow();
    const seq = sampleEnvelopes().find(
      (e) => (e.payload as { seq?: number }).seq !== undefined && e.meta.pairSeq !== null,
    );
    if (seq !== undefined) {
      await serde.encode(topic, seq);
      const contradicts = { ...seq, meta: { ...seq.meta, pairSeq: (seq.meta.pairSeq ?? 0) + 1 } };
      expect(serde.encodeSync(topic, contradicts as Envelope)).toBeUndefined();
      await expect(serde.encode(topic, contradicts as Envelope)).rejects.toThrow(/pairSeq/);
    }
  });
});
