// npm run bench:pipeline — commands through Kafka -> matcher -> Kafka.
//
// Workload (seeded, written down in BENCHMARKS.md): matcher inputs over 4
// pairs from matcher/test/support/input-stream.ts (~88% new orders — mostly
// passive GTC/GTD adds near the mid, some crossing, IOC/FOK/market takers —
// 6% cancels, 4% replaces, 2% clock ticks), Avro through the real registry.
// The matcher runs as its own process (as deployed); this process publishes
// and consumes.
//   throughput: N inputs pre-published, then one matcher instance (concurrency
//               = partitions) started; commands/s = N / (time of last output -
//               time of first output).
//   latency:    matcher running and caught up; inputs published at a fixed
//               rate (default 10,000/s, 100 per send every 10 ms) for a fixed
//               time; latency = arrival of an input's first output at the
//               consumer - the publish call for it. Inputs that produce no
//               output (a passive add) are not in the histogram.
// For 1 partition (all 4 pairs on it) and 4 partitions (one pair each).
// Env: BENCH_COMMANDS (100000), BENCH_RATE (10000), BENCH_SECONDS (15).

import { type ChildProcess, spawn } from "node:child_process";
import { cpus, loadavg, totalmem } from "node:os";
import { fileURLToPath } from "node:url";
import * as hdr from "hdr-histogram-js";
import { createConsumer, createKafka, createProducer, ensureTopics } from "@fxcore/infra";
import { acquireInfra } from "@fxcore/infra/local";
import { createSerde, type Envelope } from "@fxcore/schemas";
import { generateInputs } from "../test/support/input-stream.ts";

const COMMANDS = Number(process.env.BENCH_COMMANDS ?? 100_000);
const RATE = Number(process.env.BENCH_RATE ?? 10_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
const PAIRS = ["EURUSD", "USDJPY", "GBPUSD", "AUDUSD"];
const MAIN = fileURLToPath(new URL("../src/main.ts", import.meta.url));

const infra = await acquireInfra();
const { KAFKA_BROKERS, SCHEMA_REGISTRY_URL } = infra.settings;
const kafka = createKafka({ brokers: KAFKA_BROKERS, clientId: "bench-pipeline" });
const serde = createSerde({ registryUrl: SCHEMA_REGISTRY_URL });
const run = `${Date.now().toString(36)}`;

async function topicsFor(name: string, partitions: number) {
  const t = {
    orders: `bench.${name}.orders.${run}`,
    executions: `bench.${name}.executions.${run}`,
    snapshots: `bench.${name}.snapshots.${run}`,
    dlq: `bench.${name}.dlq.${run}`,
  };
  await ensureTopics(kafka, [
    { name: t.orders, partitions, replicationFactor: 1 },
    { name: t.executions, partitions, replicationFactor: 1 },
    {
      name: t.snapshots,
      partitions,
      replicationFactor: 1,
      config: { "cleanup.policy": "compact" },
    },
    { name: t.dlq, partitions: 1, replicationFactor: 1 },
  ]);
  return t;
}

function startMatcher(
  t: Awaited<ReturnType<typeof topicsFor>>,
  partitions: number,
  port: number,
): ChildProcess {
  return spawn(process.execPath, [MAIN], {
    env: {
      ...process.env,
      KAFKA_BROKERS,
      SCHEMA_REGISTRY_URL,
      PORT: String(port),
      LOG_LEVEL: "warn",
      MATCHER_GROUP_ID: `bench.matcher.${t.orders}`,
      MATCHER_INPUT_TOPIC: t.orders,
      MATCHER_OUTPUT_TOPIC: t.executions,
      MATCHER_SNAPSHOT_TOPIC: t.snapshots,
      MATCHER_DLQ_TOPIC: t.dlq,
      MATCHER_CONCURRENCY: String(partitions),
    },
    stdio: ["ignore", "ignore", "inherit"],
  });
}

async function waitReady(port: number): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("matcher not ready");
}

async function encodeAll(
  topic: string,
  inputs: readonly Envelope[],
  partitionOf: (s: string) => number,
) {
  return Promise.all(
    inputs.map(async (e) => ({
      key: e.payload.symbol,
      value: await serde.encode(topic, e),
      partition: partitionOf(e.payload.symbol),
    })),
  );
}

async function throughput(partitions: number, port: number) {
  const partitionOf = (s: string) => (partitions === 1 ? 0 : PAIRS.indexOf(s));
  const t = await topicsFor(`tp${partitions}`, partitions);
  const inputs = generateInputs({ seed: 11, count: COMMANDS, pairs: PAIRS });
  const records = await encodeAll(t.orders, inputs, partitionOf);
  const producer = await createProducer(kafka);
  for (let i = 0; i < records.length; i += 1_000)
    await producer.send(t.orders, records.slice(i, i + 1_000));
  await producer.disconnect();

  let outputs = 0;
  let first = 0;
  let last = 0;
  let lastInputAnswered = 0;
  const consumer = createConsumer(kafka, {
    groupId: `bench.out.${t.executions}`,
    readCommitted: true,
  });
  await consumer.connect();
  await consumer.subscribe({ topic: t.executions, fromBeginning: true });
  const offsetsDone = new Map<number, bigint>();
  await consumer.run({
    eachBatch: async ({ batch }) => {
      const now = performance.now();
      if (first === 0) first = now;
      last = now;
      outputs += batch.messages.length;
      offsetsDone.set(batch.partition, BigInt(batch.lastOffset()));
    },
  });
  const matcher = startMatcher(t, partitions, port);
  // Done when the matcher's committed offsets reach the end of every input partition.
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(t.orders);
  for (;;) {
    await new Promise((r) => setTimeout(r, 250));
    const [committed] = await admin.fetchOffsets({
      groupId: `bench.matcher.${t.orders}`,
      topics: [t.orders],
    });
    const done = ends.every(
      (e) => committed?.partitions.find((p) => p.partition === e.partition)?.offset === e.high,
    );
    if (done) {
      lastInputAnswered = performance.now();
      break;
    }
  }
  await new Promise((r) => setTimeout(r, 1_000));
  matcher.kill("SIGTERM");
  await consumer.disconnect();
  await admin.disconnect();
  const seconds = (Math.max(last, lastInputAnswered) - first) / 1000;
  return {
    partitions,
    commands: COMMANDS,
    outputs,
    seconds,
    commandsPerSec: Math.round(COMMANDS / seconds),
  };
}

async function latency(partitions: number, port: number) {
  const partitionOf = (s: string) => (partitions === 1 ? 0 : PAIRS.indexOf(s));
  const t = await topicsFor(`lat${partitions}`, partitions);
  const total = RATE * SECONDS;
  const inputs = generateInputs({ seed: 12, count: total, pairs: PAIRS });
  const records = await encodeAll(t.orders, inputs, partitionOf);
  const sentAt = new Map<string, number>();
  const histogram = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 60_000_000,
    numberOfSignificantValueDigits: 3,
  });
  const seen = new Set<string>();
  const consumer = createConsumer(kafka, {
    groupId: `bench.out.${t.executions}`,
    readCommitted: true,
  });
  await consumer.connect();
  await consumer.subscribe({ topic: t.executions, fromBeginning: true });
  await consumer.run({
    eachBatch: async ({ batch }) => {
      const now = performance.now();
      for (const m of batch.messages) {
        const d = await serde.decode(m.value);
        if (!d.ok) continue;
        const cause = d.value.meta.causationId ?? "";
        if (seen.has(cause)) continue;
        seen.add(cause);
        const at = sentAt.get(cause);
        if (at !== undefined) histogram.recordValue(Math.max(1, Math.round((now - at) * 1000)));
      }
    },
  });
  const matcher = startMatcher(t, partitions, port);
  await waitReady(port);
  await new Promise((r) => setTimeout(r, 2_000)); // assignment and recovery settle
  const producer = await createProducer(kafka);
  const perTick = Math.max(1, Math.round(RATE / 100));
  const startedAt = performance.now();
  for (let i = 0, tick = 0; i < records.length; i += perTick, tick++) {
    const due = startedAt + tick * 10;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const slice = records.slice(i, i + perTick);
    const now = performance.now();
    for (let j = 0; j < slice.length; j++) sentAt.set(inputs[i + j]!.meta.eventId, now);
    await producer.send(t.orders, slice);
  }
  const achieved = total / ((performance.now() - startedAt) / 1000);
  await new Promise((r) => setTimeout(r, 3_000));
  await producer.disconnect();
  matcher.kill("SIGTERM");
  await consumer.disconnect();
  const us = (p: number) => histogram.getValueAtPercentile(p) / 1000;
  return {
    partitions,
    offeredRate: RATE,
    achievedRate: Math.round(achieved),
    measured: histogram.totalCount,
    p50ms: us(50),
    p99ms: us(99),
    p999ms: us(99.9),
    maxMs: histogram.maxValue / 1000,
  };
}

console.log(
  `bench:pipeline — ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, load ${loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")}`,
);
console.log(`infra: ${infra.source}; commands ${COMMANDS}; latency at ${RATE}/s for ${SECONDS}s`);
const results: unknown[] = [];
let port = 18_350;
for (const partitions of [1, 4]) {
  const tp = await throughput(partitions, port++);
  console.log(
    `throughput  partitions=${tp.partitions}  ${tp.commandsPerSec.toLocaleString("en")} commands/s  (${tp.commands} commands -> ${tp.outputs} outputs in ${tp.seconds.toFixed(2)} s)`,
  );
  const lat = await latency(partitions, port++);
  console.log(
    `latency     partitions=${lat.partitions}  offered ${lat.offeredRate}/s achieved ${lat.achievedRate}/s  p50 ${lat.p50ms.toFixed(1)} ms  p99 ${lat.p99ms.toFixed(1)} ms  p99.9 ${lat.p999ms.toFixed(1)} ms  max ${lat.maxMs.toFixed(1)} ms  (n=${lat.measured})`,
  );
  results.push(tp, lat);
}
await infra.release();
process.exit(0);
