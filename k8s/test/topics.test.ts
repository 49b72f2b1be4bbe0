// The Strimzi KafkaTopics declare what schemas/topics.json declares.
import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { k8sDir, topicsJson } from "../src/paths.ts";
import { compareTopics, parseTopicList, renderKafkaTopics } from "../src/topics.ts";
import { copy, get, type Loose, region } from "./support/rendered.ts";

const present = existsSync(topicsJson);
if (!present) console.warn(`k8s topics test skipped: ${topicsJson} does not exist yet`);

describe.skipIf(!present)("KafkaTopics against schemas/topics.json", () => {
  const declared = present ? parseTopicList(JSON.parse(readFileSync(topicsJson, "utf8"))) : [];
  const eu = region("eu-west");

  it("declares the agreed topics", () => {
    expect(declared.map((t) => t.name).sort()).toEqual([
      "fx.dlq",
      "fx.executions",
      "fx.orders",
      "fx.snapshots",
    ]);
  });

  it.each(["eu-west", "us-east"] as const)("matches in %s", (name) => {
    expect(compareTopics(region(name), declared)).toEqual([]);
  });

  it("is what write-topics.ts generates (run it after changing topics.json)", () => {
    expect(readFileSync(`${k8sDir}base/data/topics.yaml`, "utf8")).toBe(
      renderKafkaTopics(declared),
    );
  });

  it("keeps fx.snapshots compacted", () => {
    expect(get(eu, "KafkaTopic", "fx-snapshots")).toMatchObject({
      spec: { config: { "cleanup.policy": "compact" } },
    });
  });

  it("reports every difference", () => {
    const changed = eu.map((o) => {
      if (o.kind !== "KafkaTopic" || o.metadata.name !== "fx-orders") return o;
      const t = copy(o) as Loose;
      t.spec.partitions = 8;
      t.spec.config["retention.ms"] = "1";
      t.spec.config["segment.bytes"] = "1024";
      return t;
    });
    const found = compareTopics(changed, declared).map((v) => `${v.object}: ${v.message}`);
    expect(found).toEqual([
      "fx.orders: partitions is 8, topics.json says 16",
      "fx.orders: config retention.ms is 1, topics.json says 604800000",
      "fx.orders: config segment.bytes is not in topics.json",
    ]);
    const missing = eu.filter((o) => !(o.kind === "KafkaTopic" && o.metadata.name === "fx-dlq"));
    expect(compareTopics(missing, declared).map((v) => v.message)).toEqual([
      "is declared in topics.json but has no KafkaTopic",
    ]);
  });
});
