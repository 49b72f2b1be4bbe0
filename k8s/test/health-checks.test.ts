// The Lua health checks Argo CD runs for custom resources it does not know,
// executed in a real Lua VM against the statuses the operators write.

import { describe, expect, it } from "vitest";
import { LuaFactory } from "wasmoon";
import { at } from "../src/manifest.ts";
import { argocdDir } from "../src/paths.ts";
import { get, rendered } from "./support/rendered.ts";

const data = at(get(rendered(argocdDir), "ConfigMap", "argocd-cm"), "data") as Record<
  string,
  string
>;
const factory = new LuaFactory();

async function health(key: string, obj: object): Promise<{ status: string; message: string }> {
  const script = data[`resource.customizations.health.${key}`];
  if (script === undefined) throw new Error(`no health check ${key}`);
  const lua = await factory.createEngine();
  try {
    lua.global.set("obj", obj);
    return (await lua.doString(script)) as { status: string; message: string };
  } finally {
    lua.global.close();
  }
}

describe("KafkaMirrorMaker2 health", () => {
  const key = "kafka.strimzi.io_KafkaMirrorMaker2";
  it("is progressing before the operator reports", async () => {
    expect((await health(key, { spec: {} })).status).toBe("Progressing");
  });
  it("is healthy when Ready", async () => {
    const obj = { status: { conditions: [{ type: "Ready", status: "True" }] } };
    expect(await health(key, obj)).toEqual({
      status: "Healthy",
      message: "MirrorMaker 2 is ready",
    });
  });
  it("is degraded with the operator's message when NotReady", async () => {
    const obj = {
      status: { conditions: [{ type: "NotReady", status: "True", message: "peer unreachable" }] },
    };
    expect(await health(key, obj)).toEqual({ status: "Degraded", message: "peer unreachable" });
  });
});

describe("KafkaNodePool health", () => {
  const key = "kafka.strimzi.io_KafkaNodePool";
  it("is healthy once every replica has a node id", async () => {
    expect(await health(key, { spec: { replicas: 3 }, status: { nodeIds: [0, 1, 2] } })).toEqual({
      status: "Healthy",
      message: "3 nodes",
    });
  });
  it("is progressing while scaling", async () => {
    expect((await health(key, { spec: { replicas: 3 }, status: { nodeIds: [0, 1] } })).status).toBe(
      "Progressing",
    );
    expect((await health(key, { spec: { replicas: 3 } })).status).toBe("Progressing");
  });
});

describe("ScheduledBackup health", () => {
  const key = "postgresql.cnpg.io_ScheduledBackup";
  it("is healthy when scheduled and suspended when suspended", async () => {
    expect((await health(key, { spec: { schedule: "0 0 2 * * *" } })).status).toBe("Healthy");
    expect((await health(key, { spec: { suspend: true } })).status).toBe("Suspended");
  });
});

it("covers exactly the custom resources Argo CD has no built-in check for", () => {
  const keys = Object.keys(data)
    .filter((k) => k.startsWith("resource.customizations.health."))
    .sort();
  expect(keys).toEqual([
    "resource.customizations.health.kafka.strimzi.io_KafkaMirrorMaker2",
    "resource.customizations.health.kafka.strimzi.io_KafkaNodePool",
    "resource.customizations.health.postgresql.cnpg.io_ScheduledBackup",
  ]);
});
