// Against the real schema registry (Apicurio ccompat locally).
import { infraSettings, uniqueSuffix } from "@fxcore/infra/testing";
import { COMPATIBILITY } from "@kafkajs/confluent-schema-registry";
import { beforeAll, describe, expect, it } from "vitest";
import { readerType } from "../src/catalog/avro-types.ts";
import { loadCatalog } from "../src/catalog/catalog.ts";
import { registerHistory, registerVersions } from "../src/evolution/registry-history.ts";
import { RegistryUnavailableError } from "../src/serde/decode-error.ts";
import {
  COMPATIBILITY_LEVEL,
  createRegistryClient,
  getCompatibility,
  registerSchema,
  setCompatibility,
  subjectName,
} from "../src/serde/registry.ts";
import { createSerde } from "../src/serde/serde.ts";
import { frame } from "../src/serde/wire.ts";
import { incompatibleFixture } from "./fixtures/incompatible.ts";
import { sampleEnvelopes, sampleMeta, samples } from "./samples.ts";

const catalog = loadCatalog();
let url: string;

beforeAll(async () => {
  url = infraSettings().SCHEMA_REGISTRY_URL;
  await setCompatibility(url);
});

describe("registry compatibility (BACKWARD_TRANSITIVE)", () => {
  it("is set globally and pinned on each subject at first registration", async () => {
    expect(await getCompatibility(url)).toBe(COMPATIBILITY_LEVEL);
    const topic = `fx.orders.t-${uniqueSuffix()}`;
    const registry = createRegistryClient(url);
    const r = await registerSchema(
      registry,
      subjectName(topic, "fx.events.TimeAdvanced"),
      catalog.current("TimeAdvanced")!,
    );
    expect(r.ok).toBe(true);
    expect(await getCompatibility(url, subjectName(topic, "fx.events.TimeAdvanced"))).toBe(
      COMPATIBILITY_LEVEL,
    );
  });

  it("refuses to register under a subject pinned to another compatibility level", async () => {
    const subject = subjectName(`fx.pinned.t-${uniqueSuffix()}`, "fx.events.TimeAdvanced");
    const registry = createRegistryClient(url);
    expect((await registerSchema(registry, subject, catalog.current("TimeAdvanced")!)).ok).toBe(
      true,
    );
    await setCompatibility(url, COMPATIBILITY.FORWARD, subject);
    await expect(
      registerSchema(createRegistryClient(url), subject, catalog.current("TimeAdvanced")!),
    ).rejects.toThrow(/expected BACKWARD_TRANSITIVE/);
  });

  it("pins a subject that exists unpinned (Apicurio reports NONE) and registers", async () => {
    const subject = subjectName(`fx.unpinned.t-${uniqueSuffix()}`, "fx.events.TimeAdvanced");
    const raw = await fetch(`${url}/subjects/${subject}/versions`, {
      method: "POST",
      headers: { "content-type": "application/vnd.schemaregistry.v1+json" },
      body: JSON.stringify({ schema: JSON.stringify(catalog.current("TimeAdvanced")!.schema) }),
    });
    expect(raw.ok).toBe(true);
    expect(await getCompatibility(url, subject)).toBe("NONE");
    const r = await registerSchema(
      createRegistryClient(url),
      subject,
      catalog.current("TimeAdvanced")!,
    );
    expect(r.ok).toBe(true);
    expect(await getCompatibility(url, subject)).toBe(COMPATIBILITY_LEVEL);
  });

  it("registers one new subject from many processes at once: every one gets the same id", async () => {
    // Two service processes starting against a fresh registry race to pin the
    // subject; the loser saw "A rule named 'COMPATIBILITY' already exists".
    for (let round = 0; round < 3; round++) {
      const subject = subjectName(`fx.race.t-${uniqueSuffix()}`, "fx.events.OrderAccepted");
      const results = await Promise.all(
        Array.from({ length: 8 }, () =>
          registerSchema(createRegistryClient(url), subject, catalog.current("OrderAccepted")!),
        ),
      );
      const ids = results.map((r) => (r.ok ? r.value : r.error.message));
      expect(new Set(ids).size, JSON.stringify(ids)).toBe(1);
      expect(typeof ids[0]).toBe("number");
      expect(await getCompatibility(url, subject)).toBe(COMPATIBILITY_LEVEL);
    }
  });

  it("accepts every committed version of every type, registered in order", async () => {
    const topic = `fx.history.t-${uniqueSuffix()}`;
    const outcomes = await registerHistory(createRegistryClient(url), topic, catalog);
    expect(outcomes.filter((o) => !o.result.ok)).toEqual([]);
    const total = catalog.names.reduce((n, name) => n + catalog.versions(name).length, 0);
    expect(outcomes).toHaveLength(total);
    // Each version is a distinct schema: v2 of OrderAccepted got its own id.
    const oa = outcomes.filter((o) => o.subject.endsWith("fx.events.OrderAccepted"));
    expect(new Set(oa.map((o) => o.result.ok && o.result.value)).size).toBe(oa.length);
  });

  it("refuses the incompatible fixture after the committed versions (409)", async () => {
    const topic = `fx.incompat.t-${uniqueSuffix()}`;
    const outcomes = await registerVersions(createRegistryClient(url), topic, [
      ...catalog.versions("OrderAccepted"),
      incompatibleFixture,
    ]);
    expect(outcomes.map((o) => o.result.ok)).toEqual([true, true, false]);
    const last = outcomes[2]!.result;
    expect(last.ok ? 0 : last.error.status).toBe(409);
  });

  it("refuses the incompatible fixture against v1 alone too (transitive, not just latest)", async () => {
    const topic = `fx.incompat1.t-${uniqueSuffix()}`;
    const outcomes = await registerVersions(createRegistryClient(url), topic, [
      catalog.versions("OrderAccepted")[0]!,
      incompatibleFixture,
    ]);
    expect(outcomes.map((o) => o.result.ok)).toEqual([true, false]);
  });
});

describe("serde through the registry", () => {
  it("round-trips every payload type, bigint timestamps included", async () => {
    const serde = createSerde({ registryUrl: url });
    const topic = `fx.serde.t-${uniqueSuffix()}`;
    for (const env of sampleEnvelopes()) {
      const bytes = await serde.encode(topic, env);
      expect(bytes[0]).toBe(0);
      // A fresh serde has no cached schemas: it must fetch the writer's by id.
      const r = await createSerde({ registryUrl: url }).decode(bytes);
      expect(r.ok ? r.value : r.error).toStrictEqual(env);
    }
  });

  it("decodes data written with v1 of OrderAccepted into the current reader (minQty null)", async () => {
    const topic = `fx.v1.t-${uniqueSuffix()}`;
    const registry = createRegistryClient(url);
    const v1 = catalog.versions("OrderAccepted")[0]!;
    const id = await registerSchema(registry, subjectName(topic, v1.fullName), v1);
    if (!id.ok) throw new Error(id.error.message);
    const { minQty: _, type: __, ...v1Fields } = samples.OrderAccepted[0]!;
    const bytes = frame(
      id.value,
      readerType(v1.schema).toBuffer({ meta: sampleMeta(5), ...v1Fields }),
    );
    const r = await createSerde({ registryUrl: url }).decode(bytes);
    expect(r.ok ? r.value : r.error).toStrictEqual({
      meta: sampleMeta(5),
      payload: { ...samples.OrderAccepted[0]!, minQty: null },
    });
  });

  it("answers an unknown schema id with UNKNOWN_SCHEMA_ID", async () => {
    const r = await createSerde({ registryUrl: url }).decode(
      frame(2_000_000_000, Buffer.from([2, 0x41])),
    );
    expect(r.ok ? r : r.error).toMatchObject({
      kind: "UNKNOWN_SCHEMA_ID",
      schemaId: 2_000_000_000,
    });
  });

  it("throws RegistryUnavailableError (retry, not dead-letter) when the registry does not answer", async () => {
    const serde = createSerde({ registryUrl: "http://127.0.0.1:9/apis/ccompat/v7" });
    await expect(serde.decode(frame(1, Buffer.from([0])))).rejects.toBeInstanceOf(
      RegistryUnavailableError,
    );
    await expect(serde.encode("fx.orders", sampleEnvelopes()[0]!)).rejects.toBeInstanceOf(
      RegistryUnavailableError,
    );
  });
});
