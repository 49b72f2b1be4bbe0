import { fileURLToPath } from "node:url";
import { REFERENCE_CATALOG } from "@fxcore/domain";
import { createKafka } from "@fxcore/infra";
import {
  createTestTopics,
  infraSettings,
  testGroupId,
  type TestTopics,
} from "@fxcore/infra/testing";
import { createSerde, type Envelope, type Serde } from "@fxcore/schemas";
import { afterAll, beforeAll, expect, test } from "vitest";
import { PartitionMatcher } from "../src/partition-matcher.ts";
import { type SpawnedMatcher, spawnMatcher } from "../src/testing/spawn-matcher.ts";
import { generateInputs, mulberry32 } from "./support/input-stream.ts";
import { collect, publishInputs, waitFor } from "./support/kafka-io.ts";

// Fault test: matcher processes are killed with SIGKILL at random points
// (at least five kills), scaled from 1 to 3 and back, while 50,000 commands
// over 4 pairs stream in. Afterwards fx.executions (read committed) must be
// byte for byte what one uninterrupted in-process run produces.

const PAIRS = ["EURUSD", "USDJPY", "GBPUSD", "AUDUSD"];
const partitionOf = (s: string) => PAIRS.indexOf(s);
const COMMANDS = Number(process.env.FXCORE_FAULT_COMMANDS ?? 50_000);
const LOG_DIR = fileURLToPath(new URL("../../.fxcore/test-logs/", import.meta.url));

let topics: TestTopics<"fx.orders" | "fx.executions" | "fx.snapshots" | "fx.dlq">;
let serde: Serde;
const children = new Set<SpawnedMatcher>();

beforeAll(async () => {
  topics = await createTestTopics({
    "fx.orders": { partitions: 4 },
    "fx.executions": { partitions: 4 },
    "fx.snapshots": { partitions: 4, config: { "cleanup.policy": "compact" } },
    "fx.dlq": { partitions: 1 },
  });
  serde = createSerde({ registryUrl: infraSettings().SCHEMA_REGISTRY_URL });
});
afterAll(async () => {
  await Promise.all([...children].map((c) => c.kill()));
  await topics?.delete();
});

test(`${COMMANDS} commands, SIGKILLs and scaling 1→3→1: outputs equal one uninterrupted run`, {
  timeout: 600_000,
}, async () => {
  const inputs = generateInputs({ seed: 77, count: COMMANDS, pairs: PAIRS });
  const expected = new Map<number, Envelope[]>();
  const matchers = PAIRS.map(
    () => new PartitionMatcher({ catalog: REFERENCE_CATALOG, writerEpoch: 3 }),
  );
  for (const input of inputs) {
    const p = partitionOf(input.payload.symbol);
    const r = matchers[p]!.apply(input);
    if (r.kind === "outputs") expected.set(p, [...(expected.get(p) ?? []), ...r.outputs]);
  }
  const expectedTotal = [...expected.values()].reduce((n, l) => n + l.length, 0);

  const { KAFKA_BROKERS, SCHEMA_REGISTRY_URL } = infraSettings();
  const kafka = createKafka({ brokers: KAFKA_BROKERS, clientId: "matcher-fault" });
  const groupId = testGroupId("matcher-fault");
  let nextPort = 18_590; // this suite's ports: 18590-18599
  const startInstance = (name: string): SpawnedMatcher => {
    const m = spawnMatcher({
      kafkaBrokers: KAFKA_BROKERS,
      registryUrl: SCHEMA_REGISTRY_URL,
      topics: topics.names,
      groupId,
      port: nextPort++,
      logFile: `${LOG_DIR}matcher-fault-${name}.log`,
      env: { FXCORE_WRITER_EPOCH: "3", MATCHER_SNAPSHOT_EVERY: "1500" },
    });
    children.add(m);
    void m.process.once("exit", () => children.delete(m));
    return m;
  };
  const kill9 = (c: SpawnedMatcher) => c.kill();
  const stopGracefully = (c: SpawnedMatcher) => c.stop();

  const out = await collect(kafka, topics.names["fx.executions"]);
  const progress = () => `${out.total()}/${expectedTotal} outputs`;
  // Inputs stream in while the chaos runs.
  const publishing = (async () => {
    const chunk = Math.ceil(inputs.length / 40);
    for (let i = 0; i < inputs.length; i += chunk) {
      await publishInputs(
        kafka,
        serde,
        topics.names["fx.orders"],
        inputs.slice(i, i + chunk),
        partitionOf,
      );
      await new Promise((r) => setTimeout(r, 400));
    }
  })();

  const rnd = mulberry32(9);
  const pause = (min: number, max: number) =>
    new Promise((r) => setTimeout(r, min + rnd() * (max - min)));
  let primary = startInstance("a0");
  let kills = 0;
  // Five SIGKILLs of the only instance, at random points.
  for (let i = 1; i <= 5; i++) {
    await pause(2_000, 5_000);
    await kill9(primary);
    kills++;
    primary = startInstance(`a${i}`);
  }
  // Scale 1 -> 3, kill one of the three mid-stream, then back to 1.
  await pause(2_000, 4_000);
  const b = startInstance("b");
  const c = startInstance("c");
  await pause(8_000, 12_000);
  await kill9(b);
  kills++;
  await pause(3_000, 5_000);
  await stopGracefully(c);
  await publishing;

  await waitFor("every input answered", () => out.total() >= expectedTotal, 300_000, progress);
  await new Promise((r) => setTimeout(r, 3_000)); // duplicates, if any, would show up now
  await stopGracefully(primary);
  await out.stop();

  expect(kills).toBeGreaterThanOrEqual(5);
  expect(out.total()).toBe(expectedTotal);
  for (const [p, envelopes] of expected) {
    const got = (out.byPartition.get(p) ?? []).map((m) => m.value?.toString("hex"));
    const want = await Promise.all(
      envelopes.map(async (e) =>
        (await serde.encode(topics.names["fx.executions"], e)).toString("hex"),
      ),
    );
    expect(got.length).toBe(want.length);
    const firstDiff = got.findIndex((g, i) => g !== want[i]);
    expect(firstDiff, `partition ${p} diverges at output ${firstDiff}`).toBe(-1);
  }
});
