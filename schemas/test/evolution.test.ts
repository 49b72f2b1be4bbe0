import { describe, expect, it } from "vitest";
import { readerType, writerType } from "../src/catalog/avro-types.ts";
import { loadCatalog, type SchemaVersion } from "../src/catalog/catalog.ts";
import { checkHistory, checkReadable } from "../src/evolution/avro-compat.ts";
import { planRead, readBody } from "../src/serde/avro-body.ts";
import { incompatibleFixture } from "./fixtures/incompatible.ts";
import { sampleMeta, samples } from "./samples.ts";

const catalog = loadCatalog();

type Mutable = { fields: { name: string; type: unknown; default?: unknown }[] };
const schemaOf = (name: string, version: number) =>
  structuredClone(catalog.versions(name)[version - 1]!.schema) as unknown as Mutable &
    SchemaVersion["schema"];

describe("schema evolution (avsc resolver, BACKWARD_TRANSITIVE)", () => {
  it("has at least one type with more than one version", () => {
    expect(catalog.versions("OrderAccepted").length).toBeGreaterThanOrEqual(2);
  });

  it("every version reads data written with every earlier version", () => {
    expect(checkHistory(catalog)).toEqual([]);
  });

  it("reads an OrderAccepted written before MinQty existed, with minQty null", () => {
    const { minQty: _, ...v1Payload } = samples.OrderAccepted[0]!;
    const v1 = catalog.versions("OrderAccepted")[0]!;
    const v1Codec = readerType(v1.schema);
    const body = v1Codec.toBuffer({ ...v1Payload, meta: sampleMeta(1) });
    const plan = planRead(catalog, writerType(v1.schema));
    if (!plan.ok) throw new Error(plan.error.message);
    const r = readBody(body, plan.value);
    expect(r.ok && r.value.payload).toStrictEqual({ ...samples.OrderAccepted[0]!, minQty: null });
  });

  it("refuses the incompatible fixture against every earlier version", () => {
    const problems = checkHistory(catalog, [incompatibleFixture]);
    expect(problems.map((p) => [p.type, p.readerVersion, p.writerVersion])).toEqual([
      ["OrderAccepted", 3, 1],
      ["OrderAccepted", 3, 2],
    ]);
    expect(problems[0]!.message).toMatch(/settlDate/);
  });

  it("refuses a type change and a removed enum symbol", () => {
    const changed = schemaOf("TradeExecuted", 1);
    changed.fields.find((f) => f.name === "qty")!.type = "string";
    expect(checkReadable(changed, schemaOf("TradeExecuted", 1)).ok).toBe(false);

    const narrowed = schemaOf("TradeExecuted", 1);
    (
      narrowed.fields.find((f) => f.name === "aggressorSide")!.type as { symbols: string[] }
    ).symbols = ["BUY"];
    expect(checkReadable(narrowed, schemaOf("TradeExecuted", 1)).ok).toBe(false);
  });

  it("accepts a removed field and an added field with a default", () => {
    const removed = schemaOf("TimeAdvanced", 1);
    removed.fields = removed.fields.filter((f) => f.name !== "symbol");
    expect(checkReadable(removed, schemaOf("TimeAdvanced", 1)).ok).toBe(true);
    const added = schemaOf("TimeAdvanced", 1);
    added.fields.push({ name: "venue", type: "string", default: "LDN" });
    expect(checkReadable(added, schemaOf("TimeAdvanced", 1)).ok).toBe(true);
  });

  it("reads a FIX reason code this reader does not know as OTHER (the enum default)", () => {
    const newer = schemaOf("OrderRejected", 1);
    const reasonField = newer.fields.find((f) => f.name === "reason")!;
    const reasonEnum = reasonField.type as { symbols: string[]; logicalType?: string };
    reasonEnum.symbols = [...reasonEnum.symbols, "TOO_LATE_TO_ENTER"];
    delete reasonEnum.logicalType; // the newer writer's code table is not ours
    const w = readerType(newer); // writes ns timestamps as bigint; the enum is plain
    const value = {
      ...samples.OrderRejected[0]!,
      meta: sampleMeta(1),
      reason: "TOO_LATE_TO_ENTER",
    };
    const plan = planRead(catalog, writerType(newer));
    if (!plan.ok) throw new Error(plan.error.message);
    const r = readBody(w.toBuffer(value), plan.value);
    expect(r.ok && r.value.payload).toMatchObject({ type: "OrderRejected", reason: 99 });
  });

  it("refuses a Side this reader does not know: no default, SCHEMA_RESOLUTION", () => {
    const newer = schemaOf("OrderCancelRequested", 1);
    (newer.fields.find((f) => f.name === "side")!.type as { symbols: string[] }).symbols = [
      "BUY",
      "SELL",
      "SELL_SHORT",
    ];
    const plan = planRead(catalog, writerType(newer), 12);
    expect(plan.ok ? "resolved" : plan.error).toMatchObject({
      kind: "SCHEMA_RESOLUTION",
      schemaId: 12,
    });
  });

  it("refuses a writer record this reader has no schema for: UNKNOWN_RECORD_TYPE", () => {
    const other = { ...(schemaOf("TimeAdvanced", 1) as object), name: "MarketClosed" } as never;
    const plan = planRead(catalog, writerType(other));
    expect(plan.ok ? "resolved" : plan.error.kind).toBe("UNKNOWN_RECORD_TYPE");
  });
});
