import { describe, expect, it } from "vitest";
import { loadTopics, parseTopics, toTopicSpec, TopicsFileError } from "../src/topics/topics.ts";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

describe("topics.json", () => {
  const topics = loadTopics();
  const byName = new Map(topics.map((t) => [t.name, t]));

  it("declares the agreed topics", () => {
    expect([...byName.keys()].sort()).toEqual([
      "fx.dlq",
      "fx.executions",
      "fx.orders",
      "fx.snapshots",
    ]);
  });

  it("gives orders and executions 16 partitions each (pair -> partition must match across them)", () => {
    expect(byName.get("fx.orders")!.partitions).toBe(16);
    expect(byName.get("fx.executions")!.partitions).toBe(byName.get("fx.orders")!.partitions);
  });

  it("compacts snapshots and deletes the rest by retention", () => {
    expect(byName.get("fx.snapshots")!.config["cleanup.policy"]).toBe("compact");
    for (const name of ["fx.orders", "fx.executions", "fx.dlq"]) {
      expect(byName.get(name)!.config["cleanup.policy"]).toBe("delete");
      expect(Number(byName.get(name)!.config["retention.ms"])).toBeGreaterThan(0);
    }
  });

  it("keeps min ISR below RF so one broker can be lost without stopping writes", () => {
    for (const t of topics) expect(t.minInsyncReplicas).toBeLessThan(t.replicationFactor);
  });

  it("turns min ISR into the topic config for the admin client", () => {
    expect(toTopicSpec(byName.get("fx.orders")!, "x").config).toMatchObject({
      "min.insync.replicas": "2",
      "cleanup.policy": "delete",
    });
  });

  it("reports every problem of a malformed file", () => {
    const r = parseTopics({
      topics: [
        { name: "ok.topic", partitions: 1, replicationFactor: 1, minInsyncReplicas: 1, config: {} },
        {
          name: "bad name!",
          partitions: 0,
          replicationFactor: 1,
          minInsyncReplicas: 2,
          config: { "retention.ms": 5 },
        },
        {
          name: "ok.topic",
          partitions: 1,
          replicationFactor: 1,
          minInsyncReplicas: 1,
          config: { "min.insync.replicas": "1" },
          extra: 1,
        },
      ],
    });
    expect(r.ok).toBe(false);
    const problems = r.ok ? [] : r.error;
    for (const p of [
      /topics\[1\].*name must be a legal Kafka topic name/,
      /topics\[1\].*partitions must be a positive integer/,
      /topics\[1\].*minInsyncReplicas exceeds replicationFactor/,
      /topics\[1\].*config.retention.ms must be a string/,
      /topics\[2\].*duplicate name/,
      /topics\[2\].*set minInsyncReplicas/,
      /topics\[2\].*unknown keys extra/,
    ]) {
      expect(
        problems.some((x) => p.test(x)),
        String(p),
      ).toBe(true);
    }
    expect(parseTopics({}).ok).toBe(false);
    expect(parseTopics(null).ok).toBe(false);
  });

  it("throws a typed error when loading a malformed file", () => {
    const dir = mkdtempSync(join(tmpdir(), "fx-topics-"));
    writeFileSync(join(dir, "topics.json"), JSON.stringify({ topics: [{ name: "x" }] }));
    expect(() => loadTopics(pathToFileURL(join(dir, "topics.json")))).toThrow(TopicsFileError);
  });
});
