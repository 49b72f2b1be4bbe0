import { REFERENCE_CATALOG } from "@fxcore/domain";
import {
  createKafka,
  createLogger,
  createMetricsRegistry,
  DLQ_HEADERS,
  headerValue,
  type Kafka,
} from "@fxcore/infra";
import {
  createTestTopics,
  infraSettings,
  type TestTopics,
  testGroupId,
} from "@fxcore/infra/testing";
import { createSerde, type Envelope, type Serde } from "@fxcore/schemas";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createMatcherMetrics } from "../src/matcher-metrics.ts";
import { type RunningMatcher, startMatcher } from "../src/matcher-worker.ts";
import { PartitionMatcher } from "../src/partition-matcher.ts";
import { generateInputs } from "./support/input-stream.ts";
import { collect, publishInputs, waitFor } from "./support/kafka-io.ts";

// The matcher against a real broker and registry: outputs equal an in-process
// run of the same inputs byte for byte, across a stop/restart (snapshot +
// silent replay), and poison inputs go to the dead-letter topic.

const PAIRS = ["EURUSD", "USDJPY", "GBPUSD", "EURGBP"];
const partitionOf = (s: string) => PAIRS.indexOf(s);

let topics: TestTopics<"fx.orders" | "fx.executions" | "fx.snapshots" | "fx.dlq">;
let serde: Serde;
const settings = () => infraSettings();
const kafka = () => createKafka({ brokers: settings().KAFKA_BROKERS, clientId: "matcher-it" });
const logger = createLogger({ service: "matcher-it", level: "warn" });

beforeAll(async () => {
  topics = await createTestTopics({
    "fx.orders": { partitions: 4 },
    "fx.executions": { partitions: 4 },
    "fx.snapshots": {
      partitions: 4,
      config: { "cleanup.policy": "compact", "max.message.bytes": "10485760" },
    },
    "fx.dlq": { partitions: 1 },
  });
  serde = createSerde({ registryUrl: settings().SCHEMA_REGISTRY_URL });
});
afterAll(async () => {
  await topics?.delete();
});

function expectedOutputs(inputs: readonly Envelope[]): Map<number, Envelope[]> {
  const matchers = new Map<number, PartitionMatcher>();
  const out = new Map<number, Envelope[]>();
  for (const input of inputs) {
    const p = partitionOf(input.payload.symbol);
    let m = matchers.get(p);
    if (!m) {
      m = new PartitionMatcher({ catalog: REFERENCE_CATALOG, writerEpoch: 1 });
      matchers.set(p, m);
    }
    const r = m.apply(input);
    if (r.kind === "outputs") out.set(p, [...(out.get(p) ?? []), ...r.outputs]);
  }
  return out;
}

type MatcherTopics = Readonly<
  Record<"fx.orders" | "fx.executions" | "fx.snapshots" | "fx.dlq", string>
>;

/**
 * What every matcher here starts with: the suite's serde and logger, the
 * topics `names`, the group (also the transactional-id prefix), the reference
 * catalog at writer epoch 1.
 */
const matcherOn = (k: Kafka, names: MatcherTopics, groupId: string) => ({
  kafka: k,
  serde,
  logger,
  groupId,
  inputTopic: names["fx.orders"],
  outputTopic: names["fx.executions"],
  snapshotTopic: names["fx.snapshots"],
  dlqTopic: names["fx.dlq"],
  transactionalIdPrefix: groupId,
  matcher: { catalog: REFERENCE_CATALOG, writerEpoch: 1 },
});

const start = (
  groupId: string,
  snapshotMaxBytes?: number,
  names: MatcherTopics = topics.names,
  backgroundSnapshots = true,
): Promise<RunningMatcher> =>
  startMatcher({
    backgroundSnapshots,
    ...(snapshotMaxBytes !== undefined ? { snapshotMaxBytes } : {}),
    ...matcherOn(kafka(), names, groupId),
    registryUrl: settings().SCHEMA_REGISTRY_URL,
    snapshotEvery: 700,
  });

/** A private set of the matcher's topics, `partitions` each (the DLQ has one). */
const matcherTopics = (partitions: number) =>
  createTestTopics({
    "fx.orders": { partitions },
    "fx.executions": { partitions },
    "fx.snapshots": { partitions, config: { "cleanup.policy": "compact" } },
    "fx.dlq": { partitions: 1 },
  });

describe("matcher on real Kafka", () => {
  test("outputs are byte-identical to an in-process run, across a restart", async () => {
    const inputs = generateInputs({ seed: 2026, count: 4_000, pairs: PAIRS });
    const firstHalf = inputs.slice(0, 2_500);
    const expected = expectedOutputs(inputs);
    const expectedTotal = [...expected.values()].reduce((n, l) => n + l.length, 0);
    const expectedFirst = [...expectedOutputs(firstHalf).values()].reduce(
      (n, l) => n + l.length,
      0,
    );

    const out = await collect(kafka(), topics.names["fx.executions"]);
    const groupId = testGroupId("matcher");
    await publishInputs(kafka(), serde, topics.names["fx.orders"], firstHalf, partitionOf);
    // Inline snapshots here; snapshots in slices have their own test below.
    let matcher = await start(groupId, undefined, topics.names, false);
    await waitFor(
      "first half answered",
      () => out.total() >= expectedFirst,
      90_000,
      () => `${out.total()}/${expectedFirst}`,
    );
    await matcher.stop();

    // A new instance recovers each partition from its snapshot and re-applies
    // the inputs after it silently, then answers only what is new.
    await publishInputs(
      kafka(),
      serde,
      topics.names["fx.orders"],
      inputs.slice(2_500),
      partitionOf,
    );
    matcher = await start(groupId, undefined, topics.names, false);
    await waitFor(
      "all answered",
      () => out.total() >= expectedTotal,
      90_000,
      () => `${out.total()}/${expectedTotal}`,
    );
    await new Promise((r) => setTimeout(r, 1_500)); // would-be duplicates would arrive now
    await matcher.stop();
    await out.stop();

    expect(out.total()).toBe(expectedTotal);
    for (const [p, envelopes] of expected) {
      const got = out.byPartition.get(p) ?? [];
      const want = await Promise.all(
        envelopes.map((e) => serde.encode(topics.names["fx.executions"], e)),
      );
      expect(got.map((m) => m.value?.toString("hex"))).toEqual(want.map((b) => b.toString("hex")));
      expect(got.every((m) => m.key?.toString() === PAIRS[p])).toBe(true);
    }
  });

  test("poison inputs go to the dead-letter topic with the reason, republished inputs are dropped; the partition keeps moving", async () => {
    const t = await matcherTopics(1);
    try {
      const good = generateInputs({ seed: 5, count: 50, pairs: ["EURUSD"] });
      const k = kafka();
      const producer = k.producer();
      await producer.connect();
      const enc = (e: Envelope) => serde.encode(t.names["fx.orders"], e);
      const unknownPair = {
        ...good[0]!,
        payload: { ...good[0]!.payload, symbol: "XAUUSD" },
      } as Envelope;
      await producer.send({
        topic: t.names["fx.orders"],
        messages: [
          { key: "EURUSD", value: Buffer.from([9, 9, 9, 9, 9, 1, 2]) }, // bad magic byte
          { key: "EURUSD", value: await enc(unknownPair) },
          ...(await Promise.all(good.map(async (e) => ({ key: "EURUSD", value: await enc(e) })))),
          // Republished by a relay after a crash: same event ids, dropped.
          { key: "EURUSD", value: await enc(good[10]!) },
          { key: "EURUSD", value: await enc(good[49]!) },
        ],
      });
      await producer.disconnect();
      const expected = expectedOutputs(good).get(0) ?? [];
      const out = await collect(k, t.names["fx.executions"]);
      const dlq = await collect(k, t.names["fx.dlq"]);
      const groupId = testGroupId("matcher-poison");
      const m = await startMatcher({ ...matcherOn(k, t.names, groupId), snapshotEvery: 1_000 });
      await waitFor("outputs", () => out.total() >= expected.length && dlq.total() >= 2, 60_000);
      await new Promise((r) => setTimeout(r, 1_500)); // outputs of the duplicates, if any, would arrive now
      await m.stop();
      await out.stop();
      await dlq.stop();
      const dead = dlq.byPartition.get(0) ?? [];
      expect(dead).toHaveLength(2);
      expect(headerValue(dead[0]!.headers, DLQ_HEADERS.reason)).toMatch(/magic/i);
      expect(headerValue(dead[0]!.headers, DLQ_HEADERS.sourceOffset)).toBe("0");
      expect(headerValue(dead[1]!.headers, DLQ_HEADERS.reason)).toContain("unknown symbol XAUUSD");
      expect(out.total()).toBe(expected.length);
    } finally {
      await t.delete();
    }
  });

  test("a backlog is answered in full transactions (catch-up fill), byte-identical", async () => {
    const inputs = generateInputs({ seed: 47, count: 5_000, pairs: ["EURUSD"] });
    const own = await matcherTopics(1);
    try {
      const k = kafka();
      await publishInputs(k, serde, own.names["fx.orders"], inputs, () => 0);
      const want = await Promise.all(
        (expectedOutputs(inputs).get(0) ?? []).map((e) =>
          serde.encode(own.names["fx.executions"], e),
        ),
      );
      const out = await collect(k, own.names["fx.executions"]);
      const registry = createMetricsRegistry({ service: "matcher-it", defaultMetrics: false });
      const groupId = testGroupId("matcher-fill");
      const m = await startMatcher({
        ...matcherOn(k, own.names, groupId),
        registryUrl: settings().SCHEMA_REGISTRY_URL,
        snapshotEvery: 100_000,
        maxInputsPerTransaction: 1_000,
        // Generous, so a slow box still fills every transaction.
        catchUpFillMs: 30_000,
        metrics: createMatcherMetrics(registry),
      });
      await waitFor("backlog answered", () => out.total() >= want.length, 60_000);
      await new Promise((r) => setTimeout(r, 1_000)); // would-be duplicates would arrive now
      await m.stop();
      await out.stop();
      const got = (out.byPartition.get(0) ?? []).map((x) => x.value?.toString("hex"));
      expect(got).toEqual(want.map((b) => b.toString("hex")));
      const count = (await registry.getMetricsAsJSON())
        .find((x) => x.name === "fx_matcher_batch_seconds")
        ?.values.find(
          (v) => (v as { metricName?: string }).metricName === "fx_matcher_batch_seconds_count",
        )?.value;
      // 5,000 inputs, ≤ 1,000 per transaction: five full ones (a fetch
      // boundary may split one). Without the fill the first transaction
      // starts after the first 256 inputs and the rest go in whatever
      // gathered during the one before: 8-20 here.
      expect(count).toBeGreaterThanOrEqual(5);
      expect(count).toBeLessThanOrEqual(6);
    } finally {
      await own.delete();
    }
  });

  test("snapshots encoded in slices land while the partition runs; outputs stay byte-identical across a restart", async () => {
    const inputs = generateInputs({ seed: 31, count: 3_000, pairs: ["EURUSD"] });
    const own = await matcherTopics(1);
    try {
      const k = kafka();
      const out = await collect(k, own.names["fx.executions"]);
      const groupId = testGroupId("matcher-bgsnap");
      const run = (snapshotEvery: number) =>
        startMatcher({
          ...matcherOn(k, own.names, groupId),
          registryUrl: settings().SCHEMA_REGISTRY_URL,
          snapshotEvery,
          maxInputsPerTransaction: 250,
        });
      const all = [...(expectedOutputs(inputs).get(0) ?? [])];
      const firstPart = [...(expectedOutputs(inputs.slice(0, 2_000)).get(0) ?? [])];
      const m = await run(200);
      const admin = k.admin();
      await admin.connect();
      const snapshotsWritten = async () =>
        Number((await admin.fetchTopicOffsets(own.names["fx.snapshots"]))[0]?.high ?? 0);
      // Inputs keep coming; a snapshot finished in slices rides in the next
      // slice's transaction. No stop yet, so no final (inline) snapshot either.
      let sent = 0;
      while (sent < 2_000 && (await snapshotsWritten()) === 0) {
        await publishInputs(
          k,
          serde,
          own.names["fx.orders"],
          inputs.slice(sent, sent + 50),
          () => 0,
        );
        sent += 50;
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(await snapshotsWritten()).toBeGreaterThan(0);
      await publishInputs(k, serde, own.names["fx.orders"], inputs.slice(sent, 2_000), () => 0);
      await waitFor("first part", () => out.total() >= firstPart.length, 60_000);
      await m.stop();
      const m2 = await run(100_000);
      await publishInputs(k, serde, own.names["fx.orders"], inputs.slice(2_000), () => 0);
      await waitFor("all", () => out.total() >= all.length, 60_000);
      await new Promise((r) => setTimeout(r, 1_000));
      await m2.stop();
      await admin.disconnect();
      await out.stop();
      const got = (out.byPartition.get(0) ?? []).map((x) => x.value?.toString("hex"));
      const want = await Promise.all(all.map((e) => serde.encode(own.names["fx.executions"], e)));
      expect(got).toEqual(want.map((b) => b.toString("hex")));
    } finally {
      await own.delete();
    }
  });

  test("a snapshot too large for the topic is skipped, never stalls the partition; a restart replays further back", async () => {
    const inputs = generateInputs({ seed: 99, count: 1_500, pairs: PAIRS });
    const expected = expectedOutputs(inputs);
    const total = [...expected.values()].reduce((n, l) => n + l.length, 0);
    // Fresh topics: reuse the suite's broker but not its data.
    const own = await matcherTopics(4);
    try {
      const out = await collect(kafka(), own.names["fx.executions"]);
      await publishInputs(
        kafka(),
        serde,
        own.names["fx.orders"],
        inputs.slice(0, 900),
        partitionOf,
      );
      const groupId = testGroupId("matcher-bigsnap");
      let m = await start(groupId, 64, own.names); // no snapshot fits in 64 bytes
      const first = [...expectedOutputs(inputs.slice(0, 900)).values()].reduce(
        (n, l) => n + l.length,
        0,
      );
      await waitFor(
        "first part",
        () => out.total() >= first,
        60_000,
        () => `${out.total()}/${first}`,
      );
      await m.stop();
      await publishInputs(kafka(), serde, own.names["fx.orders"], inputs.slice(900), partitionOf);
      m = await start(groupId, 64, own.names);
      await waitFor(
        "all",
        () => out.total() >= total,
        60_000,
        () => `${out.total()}/${total}`,
      );
      await new Promise((r) => setTimeout(r, 1_500));
      await m.stop();
      await out.stop();
      expect(out.total()).toBe(total);
      const admin = kafka().admin();
      await admin.connect();
      const snaps = await admin.fetchTopicOffsets(own.names["fx.snapshots"]);
      await admin.disconnect();
      expect(snaps.every((p) => p.high === "0")).toBe(true);
    } finally {
      await own.delete();
    }
  });
});
