// provisionTopics against the real broker, on suffixed copies of topics.json.
import { createKafka, deleteTopics } from "@fxcore/infra";
import { infraSettings, uniqueSuffix } from "@fxcore/infra/testing";
import { afterAll, describe, expect, it } from "vitest";
import { loadTopics, provisionTopics } from "../src/topics/topics.ts";

const kafka = createKafka({
  brokers: infraSettings().KAFKA_BROKERS,
  clientId: "schemas-topics-it",
});
const suffix = `.t-${uniqueSuffix()}`;
const rename = (n: string) => `${n}${suffix}`;
const topics = loadTopics();

afterAll(() =>
  deleteTopics(
    kafka,
    topics.map((t) => rename(t.name)),
  ),
);

describe("provisionTopics", () => {
  it("creates every topic of topics.json with its partitions and configs, RF and min ISR fitted to the cluster", async () => {
    const result = await provisionTopics(kafka, { rename });
    expect([...result.created].sort()).toEqual(topics.map((t) => rename(t.name)).sort());

    const admin = kafka.admin();
    await admin.connect();
    try {
      const brokers = (await admin.describeCluster()).brokers.length;
      const meta = await admin.fetchTopicMetadata({ topics: topics.map((t) => rename(t.name)) });
      for (const t of topics) {
        const m = meta.topics.find((x) => x.name === rename(t.name))!;
        expect(m.partitions, t.name).toHaveLength(t.partitions);
        expect(m.partitions[0]!.replicas).toHaveLength(Math.min(t.replicationFactor, brokers));
      }
      const described = await admin.describeConfigs({
        includeSynonyms: false,
        resources: topics.map((t) => ({
          type: 2 /* kafkajs ConfigResourceTypes.TOPIC */,
          name: rename(t.name),
        })),
      });
      for (const t of topics) {
        const entries = described.resources.find(
          (r) => r.resourceName === rename(t.name),
        )!.configEntries;
        const value = (k: string) => entries.find((e) => e.configName === k)?.configValue;
        for (const [k, v] of Object.entries(t.config)) expect(value(k), `${t.name} ${k}`).toBe(v);
        expect(value("min.insync.replicas")).toBe(String(Math.min(t.minInsyncReplicas, brokers)));
      }
    } finally {
      await admin.disconnect();
    }
  });

  it("leaves existing topics alone on a second run", async () => {
    const again = await provisionTopics(kafka, { rename });
    expect(again.created).toEqual([]);
    expect(again.existing).toHaveLength(topics.length);
  });
});
