import { rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKafka, createProducer, ensureTopics } from "../../src/index.ts";
import {
  type KafkaCluster,
  kafkaAnswers,
  restartKafkaNode,
  startKafkaCluster,
  stopKafkaCluster,
  stopKafkaNode,
} from "../../src/local/kafka-broker.ts";
import {
  downLocal,
  downWhenUnused,
  readState,
  releaseLease,
  statusLocal,
  upLocal,
} from "../../src/local/local-infra.ts";
import { holdLock } from "../../src/local/lock.ts";
import { stateRoot } from "../../src/local/paths.ts";
import { postgresAnswers } from "../../src/local/postgres-server.ts";
import { isAlive, portOpen, stopPid } from "../../src/local/process.ts";
import { childPids, schedPolicyOf } from "../../src/local/scheduling.ts";
import { registryAnswers } from "../../src/local/schema-registry.ts";
import { readBackNumbers } from "./support/read-back.ts";

// The launcher itself, on ports of its own (19192-19197) and a state dir of
// its own, so the shared infra other suites use is not disturbed. The tests
// in this file run one after another (they share the port range).

const saved = { ...process.env };
const ports = { kafka: 19192, registry: 19194, postgres: 19195 };

// Another run of this suite (someone else's) would use the same ports: wait for it.
let releasePorts: () => Promise<void> = async () => {};
const testStateDir = join(stateRoot(), `test-launcher-${process.pid}`);

beforeAll(async () => {
  releasePorts = await holdLock(join(stateRoot(), "test-ports-19192-19197.lock"));
  process.env.FXCORE_STATE_DIR = testStateDir;
  process.env.FXCORE_KAFKA_PORT = String(ports.kafka);
  process.env.FXCORE_REGISTRY_PORT = String(ports.registry);
  process.env.FXCORE_PG_PORT = String(ports.postgres);
}, 600_000);
afterAll(async () => {
  await downLocal();
  process.env = saved;
  rmSync(testStateDir, { recursive: true, force: true });
  await releasePorts();
});

describe("local infrastructure lifecycle", () => {
  it("starts all three, reuses them, restarts only a dead one; ownership and leases decide who stops them", async () => {
    const first = await upLocal("harness", { lease: true });
    expect([...first.started].sort()).toEqual(["kafka", "postgres", "registry"]);
    expect(first.settings).toEqual({
      KAFKA_BROKERS: `127.0.0.1:${ports.kafka}`,
      SCHEMA_REGISTRY_URL: `http://127.0.0.1:${ports.registry}/apis/ccompat/v7`,
      DATABASE_URL: `postgres://fxcore:fxcore@127.0.0.1:${ports.postgres}/fxcore`,
    });
    expect(await kafkaAnswers(first.settings.KAFKA_BROKERS)).toBe(true);
    expect(await registryAnswers(first.settings.SCHEMA_REGISTRY_URL)).toBe(true);
    expect(await postgresAnswers(first.settings.DATABASE_URL)).toBe(true);
    // The postmaster, its helpers and every backend it forks run SCHED_BATCH (ADR 135).
    const postmaster = readState()!.postgres!.pid;
    expect(schedPolicyOf(postmaster)).toBe("batch");
    const helpers = childPids(postmaster);
    expect(helpers.length).toBeGreaterThan(0);
    expect(helpers.map(schedPolicyOf)).not.toContain("other");
    // The registry speaks the Confluent API: register a schema and read it back.
    const subject = `${first.settings.SCHEMA_REGISTRY_URL}/subjects/lifecycle-value/versions`;
    const schema = JSON.stringify({
      type: "record",
      name: "T",
      namespace: "fx.events",
      fields: [{ name: "a", type: "long" }],
    });
    const reg = await fetch(subject, {
      method: "POST",
      headers: { "content-type": "application/vnd.schemaregistry.v1+json" },
      body: JSON.stringify({ schema }),
    });
    expect(reg.status).toBe(200);
    expect(typeof ((await reg.json()) as { id: unknown }).id).toBe("number");

    const pidsBefore = readState()!;
    const second = await upLocal("harness", { lease: true });
    expect(second.started).toEqual([]);
    expect(readState()).toEqual(pidsBefore);

    // A dead component is restarted; the healthy ones are kept.
    await stopPid(pidsBefore.registry!.pid);
    const third = await upLocal("harness", { lease: true });
    expect(third.started).toEqual(["registry"]);
    expect(readState()!.kafka).toEqual(pidsBefore.kafka);
    expect(readState()!.registry!.pid).not.toBe(pidsBefore.registry!.pid);

    const status = await statusLocal();
    expect(status.components.map((c) => [c.name, c.healthy])).toEqual([
      ["kafka", true],
      ["schema-registry", true],
      ["postgres", true],
    ]);
    expect(status.leases.length).toBe(3);

    // Releasing leases: infra stays while any is held.
    expect(await releaseLease(first.lease!, { keep: false })).toBe(false);
    expect(await releaseLease(second.lease!, { keep: false })).toBe(false);

    // `infra:up` makes it CLI-owned: a test run's release never stops that.
    expect((await upLocal("cli")).started).toEqual([]);
    expect(readState()?.owner).toBe("cli");
    expect(await releaseLease(third.lease!, { keep: false })).toBe(false);
    expect((await statusLocal()).components.every((c) => c.healthy)).toBe(true);

    // `infra:down` while a run holds a lease hands the infra to the harness;
    // that run's release, the last one, stops it.
    const user = await upLocal("harness", { lease: true });
    expect(await downWhenUnused()).toEqual({ handedOver: 1 });
    expect(readState()?.owner).toBe("harness");
    expect((await statusLocal()).components.every((c) => c.healthy)).toBe(true);
    const running = readState()!;
    expect(await releaseLease(user.lease!, { keep: false })).toBe(true);
    expect(readState()).toBeUndefined();
    for (const pid of [...running.kafka!.pids, running.registry!.pid, running.postgres!.pid]) {
      expect(isAlive(pid)).toBe(false);
    }
    for (const port of Object.values(ports)) expect(await portOpen(port)).toBe(false);
    expect(await downWhenUnused()).toEqual({ stopped: undefined });
  }, 240_000);

  it("fails with a clear error when a port is taken, and leaves nothing running", async () => {
    const squatter: Server = createServer();
    await new Promise<void>((r) => squatter.listen(ports.registry, "127.0.0.1", r));
    try {
      await expect(upLocal("harness")).rejects.toThrow(
        `port ${ports.registry} (schema registry) is taken`,
      );
      expect(await portOpen(ports.kafka)).toBe(false);
      expect(await portOpen(ports.postgres)).toBe(false);
      const state = readState();
      expect(state?.kafka).toBeUndefined();
      expect(state?.postgres).toBeUndefined();
    } finally {
      await new Promise((r) => squatter.close(r));
    }
  }, 180_000);
});

describe("three brokers on one host", () => {
  let cluster: KafkaCluster | undefined;
  afterAll(async () => {
    if (cluster) await stopKafkaCluster(cluster, { wipe: true });
  });

  it("keeps every acked record, once and in order, when the partition leader crashes", async () => {
    cluster = await startKafkaCluster({
      nodes: 3,
      basePort: 19192,
      dir: join(stateRoot(), `test-kafka-3-${process.pid}`),
      quickStart: true,
    });
    const kafka = createKafka({
      brokers: cluster.brokers,
      clientId: "three-broker-test",
      retry: { initialRetryTime: 100, maxRetryTime: 1000, retries: 40 },
      requestTimeoutMs: 5000,
    });
    const topic = "replicated.test";
    await ensureTopics(kafka, [
      { name: topic, partitions: 1, replicationFactor: 3, config: { "min.insync.replicas": "2" } },
    ]);
    const admin = kafka.admin();
    await admin.connect();
    expect((await admin.describeCluster()).brokers.length).toBe(3);
    const meta = await admin.fetchTopicMetadata({ topics: [topic] });
    await admin.disconnect();
    const p0 = meta.topics[0]!.partitions[0]!;
    expect(p0.replicas.length).toBe(3);
    const leader = cluster.nodes.find((n) => n.nodeId === p0.leader)!;

    const producer = await createProducer(kafka);
    const total = 400;
    let sent = 0;
    const producing = (async () => {
      while (sent < total) {
        await producer.send(
          topic,
          Array.from({ length: 4 }, (_, i) => ({ key: "EURUSD", value: String(sent + i) })),
        );
        sent += 4;
      }
    })();
    while (sent < total / 4) await new Promise((r) => setTimeout(r, 5));
    await stopKafkaNode(leader, { crash: true });
    const sentAtCrash = sent;
    await producing;
    await producer.disconnect();
    expect(sentAtCrash).toBeLessThan(total);

    const seen = await readBackNumbers(kafka, topic, "three-broker-reader", total);
    expect(seen).toEqual(Array.from({ length: total }, (_, i) => i));

    // The crashed node comes back and rejoins the cluster.
    await restartKafkaNode(cluster, leader);
    expect(await kafkaAnswers(`127.0.0.1:${leader.port}`, 3)).toBe(true);
  }, 180_000);
});
