import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKafka, createProducer, ensureTopics } from "../../src/index.ts";
import {
  type KafkaCluster,
  restartKafkaNode,
  startKafkaCluster,
  stopKafkaCluster,
  stopKafkaNode,
} from "../../src/local/kafka-broker.ts";
import { holdLock } from "../../src/local/lock.ts";
import { stateRoot } from "../../src/local/paths.ts";
import { readBackNumbers } from "./support/read-back.ts";

// Broker crash and restart in the middle of production, on a broker of its own
// (ports 19198/19199): with acks=all and the idempotent producer, every record
// is there exactly once and in order afterwards.

let cluster: KafkaCluster;
// Another run of this suite (someone else's) would use the same ports: wait for it.
let releasePorts: () => Promise<void> = async () => {};

beforeAll(async () => {
  releasePorts = await holdLock(join(stateRoot(), "test-ports-19198-19199.lock"));
  cluster = await startKafkaCluster({
    nodes: 1,
    basePort: 19198,
    dir: join(stateRoot(), "test-kafka-restart"),
    quickStart: true,
  });
}, 600_000);
afterAll(async () => {
  if (cluster) await stopKafkaCluster(cluster, { wipe: true });
  await releasePorts();
});

describe("broker restart during production", () => {
  it("loses nothing and duplicates nothing (acks=all, idempotent producer)", async () => {
    const topic = "restart.test";
    // Retries long enough to ride out a broker restart (JVM start + log recovery).
    const kafka = createKafka({
      brokers: cluster.brokers,
      clientId: "restart-test",
      retry: { initialRetryTime: 200, maxRetryTime: 1000, retries: 60 },
      requestTimeoutMs: 5000,
    });
    await ensureTopics(kafka, [{ name: topic, partitions: 2, replicationFactor: 1 }]);
    const producer = await createProducer(kafka);
    const total = 600;
    const batch = 5;
    let sent = 0;
    let restarted = false;
    const node = cluster.nodes[0]!;
    const producing = (async () => {
      while (sent < total) {
        const records = Array.from({ length: batch }, (_, i) => ({
          key: `k${(sent + i) % 2}`,
          value: String(sent + i),
        }));
        await producer.send(topic, records);
        sent += batch;
      }
    })();
    // Crash the broker (SIGKILL) a third of the way through, then bring it back.
    while (sent < total / 3) await new Promise((r) => setTimeout(r, 5));
    const sentAtCrash = sent;
    await stopKafkaNode(node, { crash: true });
    await new Promise((r) => setTimeout(r, 500));
    await restartKafkaNode(cluster, node);
    restarted = true;
    await producing;
    await producer.disconnect();
    expect(restarted).toBe(true);
    expect(sentAtCrash).toBeLessThan(total);

    const seen = await readBackNumbers(kafka, topic, "restart-reader", total);

    expect(seen.length).toBe(total);
    expect(new Set(seen).size).toBe(total);
    // Per key (= partition) the order of production is kept.
    for (const parity of [0, 1]) {
      const values = seen.filter((v) => v % 2 === parity);
      expect(values).toEqual([...values].sort((a, b) => a - b));
    }
  }, 120_000);
});
