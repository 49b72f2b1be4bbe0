// npm run bench:pipeline — commands through Kafka -> matcher -> Kafka.
//
// Workload (seeded, written down in BENCHMARKS.md): matcher inputs over 4
// pairs from matcher/test/support/input-stream.ts (~88% new orders — mostly
// passive GTC/GTD adds near the mid, some crossing, IOC/FOK/market takers —
// 6% cancels, 4% replaces, 2% clock ticks), Avro through the real registry.
// The matcher runs as its own process (as deployed, default settings); this
// process publishes and consumes, encoding every input before any clock runs.
//   throughput: N inputs pre-published, then one matcher instance (concurrency
//               = partitions) started; commands/s = (N - the inputs answered by
//               the first fetched outputs, i.e. the first transaction) / (time of
//               last output - time of first output), done when the matcher's
//               committed offsets reach the end of the input.
//   latency:    matcher running and caught up; inputs due at a fixed rate
//               (default 10,000/s) for a warm-up (2 s) and then the measured
//               time; the generator lingers 5 ms after the oldest waiting
//               input was due, then sends every input due (so the rate holds
//               whatever a send costs); per command, latency = arrival of its
//               first output at a read-committed consumer - the time it was
//               due (HDR histogram of the commands due after the warm-up;
//               every second's worst and an all-commands p99 printed too).
//               Passive adds have no output and are not in the histogram.
// For 1 partition (all 4 pairs on it) and 4 partitions (one pair each).
// CPU is counted per process: the matcher child (/proc), this process (load
// generator + consumer) and the Kafka broker when it is found in /proc.
// Env: BENCH_COMMANDS (200000), BENCH_RATE (10000), BENCH_SECONDS (15), BENCH_WARMUP_SECONDS (2),
// BENCH_PARTITIONS ("1,4"), BENCH_PHASES ("throughput,latency"),
// BENCH_MATCHER_NODE_OPTIONS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/x"),
// BENCH_MATCHER_LOG (a file for the matcher's log), BENCH_BROKER_PID (the broker to count
// when KAFKA_BROKERS names a private one).

import { readdirSync, readFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import {
  createConsumer,
  createKafka,
  createProducer,
  createTransactionalProducer,
  ensureTopics,
  transactionalIdFor,
} from "@fxcore/infra";
import { acquireInfra } from "@fxcore/infra/local";
import { createSerde, type Envelope } from "@fxcore/schemas";
import * as hdr from "hdr-histogram-js";
import type { KafkaMessage } from "kafkajs";
import { MATCHER_OUTPUT_TYPES } from "../src/partition-matcher.ts";
import { type SpawnedMatcher, spawnMatcher } from "../src/testing/spawn-matcher.ts";
import { generateInputs } from "../test/support/input-stream.ts";

const COMMANDS = Number(process.env.BENCH_COMMANDS ?? 200_000);
const RATE = Number(process.env.BENCH_RATE ?? 10_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
/** Seconds of load before the measured window (JIT warm-up); shown per second, and in an all-inputs p99, never in the headline histogram. */
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 2);
const PARTITIONS = (process.env.BENCH_PARTITIONS ?? "1,4").split(",").map(Number);
const PHASES = (process.env.BENCH_PHASES ?? "throughput,latency").split(",");
const MATCHER_NODE_OPTIONS = process.env.BENCH_MATCHER_NODE_OPTIONS?.split(" ").filter(Boolean);
/** Where the matcher's log goes (default: dropped). */
const MATCHER_LOG = process.env.BENCH_MATCHER_LOG;
const PAIRS = ["EURUSD", "USDJPY", "GBPUSD", "AUDUSD"];
/** Most inputs in one send of the latency load generator. */
const MAX_PER_SEND = 1_000;
/** The latency generator's linger: how long after the oldest waiting input was due it sends (Kafka's linger.ms; 5 is the Java client's default since 4.0). */
const LINGER_MS = Number(process.env.BENCH_LINGER_MS ?? 5);

const infra = await acquireInfra();
const { KAFKA_BROKERS, SCHEMA_REGISTRY_URL } = infra.settings;
const kafka = createKafka({ brokers: KAFKA_BROKERS, clientId: "bench-pipeline" });
const serde = createSerde({ registryUrl: SCHEMA_REGISTRY_URL });
const run = `${Date.now().toString(36)}`;

// --- CPU accounting -----------------------------------------------------------

const TICK = 100; // USER_HZ
/** CPU seconds of a process, or of one of its threads (`tid`; the main thread's tid is the pid). */
function procCpuSeconds(pid: number, tid?: number): number {
  try {
    const path = tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`;
    const f = readFileSync(path, "utf8").split(") ")[1]!.split(" ");
    return (Number(f[11]) + Number(f[12])) / TICK;
  } catch {
    return Number.NaN;
  }
}
/**
 * The broker process, found in /proc: the shared local one (infra:up) by its
 * data dir, or one given as BENCH_BROKER_PID (a private broker for an A/B run);
 * undefined elsewhere.
 */
function brokerPid(): number | undefined {
  if (process.env.BENCH_BROKER_PID !== undefined) return Number(process.env.BENCH_BROKER_PID);
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const cmd = readFileSync(`/proc/${d}/cmdline`, "utf8");
      if (cmd.includes("kafka.Kafka") && cmd.includes(".fxcore/infra/kafka/")) return Number(d);
    } catch {}
  }
  return undefined;
}
const BROKER = brokerPid();
/** The broker's JVM (its java) and heap, GC, header and JIT flags, printed with the figures. */
function brokerJvmFlags(): string {
  if (BROKER === undefined) return "";
  try {
    const args = readFileSync(`/proc/${BROKER}/cmdline`, "utf8").split("\0");
    return [
      args[0],
      ...args.filter((a) =>
        /^-X(m[sxn]|X:[+-]?Use(\w+GC|CompactObjectHeaders)|X:TieredStopAtLevel)/.test(a),
      ),
    ].join(" ");
  } catch {
    return "";
  }
}
/**
 * How long the broker has run and its CPU so far: a JDK 25 broker's C2 JIT
 * compiles through its first ~1.5 minutes under load (ADR 114), so a run on
 * a fresh broker pays for that.
 */
function brokerAge(): string {
  if (BROKER === undefined) return "";
  try {
    const f = readFileSync(`/proc/${BROKER}/stat`, "utf8").split(") ")[1]!.split(" ");
    const up = Number(readFileSync("/proc/uptime", "utf8").split(" ")[0]);
    const age = up - Number(f[19]) / TICK;
    return `; up ${age.toFixed(0)} s, ${procCpuSeconds(BROKER).toFixed(1)} s of CPU so far`;
  } catch {
    return "";
  }
}
const selfCpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
interface CpuMark {
  readonly matcher: number;
  /** The matcher's main thread: the partitions' event loop (the rest is the snapshot threads, GC, libuv). */
  readonly matcherMain: number;
  readonly bench: number;
  readonly broker: number;
  readonly at: number;
}
const cpuMark = (matcherPid: number): CpuMark => ({
  matcher: procCpuSeconds(matcherPid),
  matcherMain: procCpuSeconds(matcherPid, matcherPid),
  bench: selfCpu(),
  broker: BROKER === undefined ? Number.NaN : procCpuSeconds(BROKER),
  at: performance.now(),
});
function cpuLine(a: CpuMark, b: CpuMark, commands: number): string {
  const us = (s: number) => (Number.isNaN(s) ? "n/a" : `${((s / commands) * 1e6).toFixed(1)}`);
  const secs = (b.at - a.at) / 1000;
  const pct = (s: number) => (Number.isNaN(s) ? "n/a" : `${Math.round((s / secs) * 100)}%`);
  return `cpu µs/command: matcher ${us(b.matcher - a.matcher)} (${pct(b.matcher - a.matcher)} of a core; main thread ${us(b.matcherMain - a.matcherMain)}, ${pct(b.matcherMain - a.matcherMain)}), broker ${us(b.broker - a.broker)} (${pct(b.broker - a.broker)}), bench process ${us(b.bench - a.bench)} (${pct(b.bench - a.bench)})`;
}

// --- topics, matcher process ------------------------------------------------------

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
      config: { "cleanup.policy": "compact", "max.message.bytes": "10485760" },
    },
    { name: t.dlq, partitions: 1, replicationFactor: 1 },
  ]);
  return t;
}

function startMatcher(
  t: Awaited<ReturnType<typeof topicsFor>>,
  partitions: number,
  port: number,
): SpawnedMatcher {
  return spawnMatcher({
    kafkaBrokers: KAFKA_BROKERS,
    registryUrl: SCHEMA_REGISTRY_URL,
    topics: {
      "fx.orders": t.orders,
      "fx.executions": t.executions,
      "fx.snapshots": t.snapshots,
      "fx.dlq": t.dlq,
    },
    groupId: `bench.matcher.${t.orders}`,
    port,
    nodeArgs: MATCHER_NODE_OPTIONS ?? [],
    ...(MATCHER_LOG !== undefined ? { logFile: MATCHER_LOG } : {}),
    // Production settings, apart from the partitions processed in parallel.
    env: {
      LOG_LEVEL: "warn",
      MATCHER_CONCURRENCY: String(partitions),
      MATCHER_SESSION_TIMEOUT_MS: "30000",
      MATCHER_HEARTBEAT_MS: "3000",
    },
  });
}

async function encodeAll(
  topic: string,
  inputs: readonly Envelope[],
  partitionOf: (s: string) => number,
) {
  const out = [];
  for (const e of inputs) {
    out.push({
      key: e.payload.symbol as string,
      value: await serde.encode(topic, e),
      partition: partitionOf(e.payload.symbol),
    });
  }
  return out;
}

// --- cheap causation read (the load generator must not eat the matcher's CPU) ---

/** Every output type starts with the envelope meta: eventId, occurredAt, correlationId, causationId. */
function assertMetaLayout(): void {
  for (const type of MATCHER_OUTPUT_TYPES) {
    const fields = serde.catalog.current(type)!.schema.fields;
    const meta = fields[0]?.type as { fields?: Array<{ name: string }> } | undefined;
    const names = meta?.fields?.slice(0, 4).map((f) => f.name);
    if (
      fields[0]?.name !== "meta" ||
      names?.join() !== "eventId,occurredAt,correlationId,causationId"
    )
      throw new Error(`${type}: meta layout changed, update causationOf`);
  }
}

function varint(buf: Buffer, at: { pos: number }): number {
  let n = 0;
  let k = 1;
  let b: number;
  do {
    b = buf[at.pos++]!;
    n += (b & 0x7f) * k;
    k *= 128;
  } while (b & 0x80);
  return n % 2 ? -(n + 1) / 2 : n / 2;
}

/** meta.causationId of an output record, reading only the bytes before it. */
function causationOf(value: Buffer | null): string | undefined {
  if (value === null || value[0] !== 0) return undefined;
  const at = { pos: 5 };
  const skipString = () => {
    const len = varint(value, at);
    at.pos += len;
  };
  skipString(); // eventId
  varint(value, at); // occurredAt
  skipString(); // correlationId
  if (varint(value, at) !== 1) return undefined; // causationId: null
  const len = varint(value, at);
  return value.toString("utf8", at.pos, at.pos + len);
}

/** The matcher's own view from /metrics: transactions (slices) and their time from apply to commit. */
async function sliceStats(port: number): Promise<string> {
  const text = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text());
  const num = (name: string) =>
    [...text.matchAll(new RegExp(`^${name}(?:{[^}]*})? ([0-9.e+-]+)$`, "gm"))].reduce(
      (n, m) => n + Number(m[1]),
      0,
    );
  const count = num("fx_matcher_batch_seconds_count");
  const sum = num("fx_matcher_batch_seconds_sum");
  const snaps = num("fx_matcher_snapshot_seconds_count");
  const snapMs = (num("fx_matcher_snapshot_seconds_sum") / snaps) * 1000;
  const stage = (s: string) =>
    (
      (Number(
        text.match(
          new RegExp(
            `^fx_matcher_transaction_stage_seconds_total{[^}]*stage="${s}"[^}]*} ([0-9.e+-]+)$`,
            "m",
          ),
        )?.[1] ?? Number.NaN,
      ) /
        count) *
      1000
    ).toFixed(1);
  const under = (le: string) => {
    const m = text.match(
      new RegExp(`^fx_matcher_batch_seconds_bucket{[^}]*le="${le}"[^}]*} ([0-9.e+-]+)$`, "m"),
    );
    return Number(m?.[1] ?? Number.NaN);
  };
  const over = (le: string, ms: number) =>
    `${(((count - under(le)) / count) * 100).toFixed(1)}% > ${ms} ms`;
  const lag = (q: string) => (num(`nodejs_eventloop_lag_${q}_seconds`) * 1000).toFixed(1);
  return `matcher: ${count} transactions, mean ${((sum / count) * 1000).toFixed(1)} ms from first apply to commit (${over("0.05", 50)}, ${over("0.1", 100)}), ${(num("fx_matcher_inputs_total") / count).toFixed(0)} inputs each; per transaction: register ${stage("register")} ms, write ${stage("write")} ms, end ${stage("end")} ms, ${(num("fx_matcher_concurrent_transactions_retries_total") / count).toFixed(2)} CONCURRENT_TRANSACTIONS retries; ${snaps} snapshots${snaps > 0 ? `, mean ${snapMs.toFixed(0)} ms each` : ""}; event-loop delay p99 ${lag("p99")} ms, max ${lag("max")} ms`;
}

// --- phases ------------------------------------------------------------------

async function throughput(partitions: number, port: number) {
  const partitionOf = (s: string) => (partitions === 1 ? 0 : PAIRS.indexOf(s));
  const t = await topicsFor(`tp${partitions}`, partitions);
  const inputs = generateInputs({ seed: 11, count: COMMANDS, pairs: PAIRS });
  const records = await encodeAll(t.orders, inputs, partitionOf);
  const producer = await createProducer(kafka);
  for (let i = 0; i < records.length; i += 1_000)
    await producer.send(t.orders, records.slice(i, i + 1_000));
  await producer.disconnect();

  const indexOf = new Map(inputs.map((e, i) => [e.meta.eventId, i]));
  let outputs = 0;
  let first = 0;
  let last = 0;
  /** Inputs answered by the outputs that started the clock. */
  let beforeClock = 0;
  const consumer = createConsumer(kafka, {
    groupId: `bench.out.${t.executions}`,
    readCommitted: true,
    maxWaitTimeInMs: 50,
  });
  await consumer.connect();
  await consumer.subscribe({ topic: t.executions, fromBeginning: true });
  let startCpu: CpuMark | undefined;
  let matcherPid = 0;
  const joined = new Promise((r) => consumer.on(consumer.events.GROUP_JOIN, r));
  await consumer.run({
    // The observer needs no group offsets: committing them is broker work outside the pipeline.
    autoCommit: false,
    eachBatch: async ({ batch }) => {
      const now = performance.now();
      if (first === 0) {
        first = now;
        startCpu = cpuMark(matcherPid);
        // The clock starts when the first transaction's outputs arrive: its
        // inputs are not counted (with more in this fetch, more are left out).
        for (const m of batch.messages as KafkaMessage[])
          beforeClock = Math.max(beforeClock, (indexOf.get(causationOf(m.value) ?? "") ?? -1) + 1);
      }
      last = now;
      outputs += batch.messages.length;
    },
  });
  await joined; // the clock starts at the first output: the consumer must already be there
  const matcher = startMatcher(t, partitions, port);
  matcherPid = matcher.process.pid!;
  // Done when the matcher's committed offsets reach the end of every input partition.
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(t.orders);
  let answeredAt = 0;
  for (;;) {
    await new Promise((r) => setTimeout(r, 100));
    const [committed] = await admin.fetchOffsets({
      groupId: `bench.matcher.${t.orders}`,
      topics: [t.orders],
    });
    const done = ends.every(
      (e) => committed?.partitions.find((p) => p.partition === e.partition)?.offset === e.high,
    );
    if (done) {
      answeredAt = performance.now();
      break;
    }
  }
  const endCpu = cpuMark(matcher.process.pid!);
  const slices = await sliceStats(port);
  await new Promise((r) => setTimeout(r, 500)); // the last outputs reach the consumer
  await matcher.stop();
  await consumer.disconnect();
  await admin.disconnect();
  const seconds = (Math.max(last, answeredAt) - first) / 1000;
  return {
    partitions,
    commands: COMMANDS,
    outputs,
    seconds,
    commandsPerSec: Math.round((COMMANDS - beforeClock) / seconds),
    beforeClock,
    cpu: startCpu === undefined ? "" : cpuLine(startCpu, endCpu, COMMANDS),
    slices,
  };
}

async function latency(partitions: number, port: number) {
  assertMetaLayout();
  const partitionOf = (s: string) => (partitions === 1 ? 0 : PAIRS.indexOf(s));
  const t = await topicsFor(`lat${partitions}`, partitions);
  const warmup = RATE * WARMUP_SECONDS;
  const total = warmup + RATE * SECONDS;
  const inputs = generateInputs({ seed: 12, count: total, pairs: PAIRS });
  const records = await encodeAll(t.orders, inputs, partitionOf);
  const ids = inputs.map((e) => e.meta.eventId);
  const indexOf = new Map(ids.map((id, i) => [id, i]));
  // The time each input is due (offered), by index; NaN until the clock starts.
  const sentAt = new Float64Array(total).fill(Number.NaN);
  const answered = new Uint8Array(total);
  /** Worst latency (ms) of the inputs due in each second: where a stall was. */
  const worstPerSecond: number[] = [];
  /** Every command, warm-up included. */
  const all = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 60_000_000,
    numberOfSignificantValueDigits: 3,
  });
  /** The measured window: commands due after the warm-up. */
  const histogram = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 60_000_000,
    numberOfSignificantValueDigits: 3,
  });
  const consumer = createConsumer(kafka, {
    groupId: `bench.out.${t.executions}`,
    readCommitted: true,
    maxWaitTimeInMs: 100,
  });
  await consumer.connect();
  await consumer.subscribe({ topic: t.executions, fromBeginning: true });
  const joined = new Promise((r) => consumer.on(consumer.events.GROUP_JOIN, r));
  await consumer.run({
    autoCommit: false,
    partitionsConsumedConcurrently: partitions,
    eachBatch: async ({ batch }) => {
      const now = performance.now();
      for (const m of batch.messages as KafkaMessage[]) {
        const i = indexOf.get(causationOf(m.value) ?? "");
        if (i === undefined || answered[i] === 1) continue;
        answered[i] = 1;
        const at = sentAt[i]!;
        if (Number.isNaN(at)) continue;
        const us = Math.max(1, Math.round((now - at) * 1000));
        all.recordValue(us);
        if (i >= warmup) histogram.recordValue(us);
        const second = Math.floor(i / RATE);
        worstPerSecond[second] = Math.max(worstPerSecond[second] ?? 0, now - at);
      }
    },
  });
  await joined;
  const matcher = startMatcher(t, partitions, port);
  await matcher.ready();
  await new Promise((r) => setTimeout(r, 2_000)); // assignment and recovery settle
  const producer = await createProducer(kafka);
  // Inputs are due at the offered rate; the generator lingers LINGER_MS after
  // the oldest waiting input was due (or until MAX_PER_SEND wait), then sends
  // every input due by then in one send (the rate holds whatever a send
  // costs). An input's latency counts from when it was due, so the linger and
  // any lag of the generator are in it.
  let startCpu = cpuMark(matcher.process.pid!);
  const startedAt = performance.now();
  for (let j = 0; j < total; j++) sentAt[j] = startedAt + (j / RATE) * 1000;
  let sends = 0;
  let maxBehindMs = 0;
  for (let i = 0; i < records.length; ) {
    const now = performance.now();
    const due = Math.min(records.length, Math.floor(((now - startedAt) / 1000) * RATE) + 1);
    const sendAt = sentAt[i]! + LINGER_MS;
    if (due <= i || (now < sendAt && due - i < MAX_PER_SEND && due < records.length)) {
      await new Promise((r) => setTimeout(r, Math.max(1, (due <= i ? sentAt[i]! : sendAt) - now)));
      continue;
    }
    const end = Math.min(due, i + MAX_PER_SEND, i < warmup ? warmup : Number.POSITIVE_INFINITY);
    if (i === warmup) {
      startCpu = cpuMark(matcher.process.pid!);
      // prom-client's event-loop delay histogram restarts at each scrape: from here on it is the measured window's.
      void fetch(`http://127.0.0.1:${port}/metrics`).catch(() => {});
    }
    maxBehindMs = Math.max(maxBehindMs, now - sendAt);
    await producer.send(t.orders, records.slice(i, end));
    sends++;
    i = end;
  }
  const achieved = total / ((performance.now() - startedAt) / 1000);
  const measuredInputs = total - warmup;
  await new Promise((r) => setTimeout(r, 3_000));
  const endCpu = cpuMark(matcher.process.pid!);
  const slices = await sliceStats(port);
  await producer.disconnect();
  await matcher.stop();
  await consumer.disconnect();
  const ms = (p: number) => histogram.getValueAtPercentile(p) / 1000;
  return {
    partitions,
    offeredRate: RATE,
    achievedRate: Math.round(achieved),
    sends,
    maxBehindMs,
    measured: histogram.totalCount,
    p50ms: ms(50),
    p90ms: ms(90),
    p99ms: ms(99),
    p999ms: ms(99.9),
    maxMs: histogram.maxValue / 1000,
    cpu: cpuLine(startCpu, endCpu, measuredInputs),
    allP99ms: all.getValueAtPercentile(99) / 1000,
    slices,
    worstPerSecond: Array.from(worstPerSecond, (ms) => Math.round(ms ?? 0)).join(" "),
  };
}

console.log(
  `bench:pipeline — ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, load ${loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")}`,
);
console.log(
  `infra: ${infra.source}; broker pid ${BROKER ?? "not found"} (${brokerJvmFlags()}${brokerAge()}); throughput ${COMMANDS} commands; latency at ${RATE}/s for ${SECONDS}s after ${WARMUP_SECONDS}s of warm-up`,
);
console.log(
  `settings: generator linger ${LINGER_MS} ms, ≤ ${MAX_PER_SEND} inputs per send, acks=all, idempotent; matcher (production defaults, ADR 090/091${MATCHER_NODE_OPTIONS?.length ? `; node ${MATCHER_NODE_OPTIONS.join(" ")}` : ""}): group commit (one transaction in flight per partition, the next takes every slice applied meanwhile), ≤ ${process.env.MATCHER_MAX_TXN_INPUTS ?? 5000} inputs per transaction, ≥ ${process.env.MATCHER_TXN_INTERVAL_MS ?? 15} ms between transaction starts unless one is full, record batches ≤ 900 kB, 256 inputs per event-loop turn, input consumer maxWaitTimeInMs 500 / minBytes 1 / 4 MiB per partition, read_committed; snapshots every ${process.env.MATCHER_SNAPSHOT_EVERY ?? 100_000} inputs, ${process.env.MATCHER_SNAPSHOT_THREAD === "false" ? "encoded in slices on the partition's thread" : "encoded on a worker thread (ADR 103)"}; output consumer read_committed, maxWaitTimeInMs 100 (throughput: 50)`,
);
/** CPU seconds of the broker's JIT compiler threads so far. */
function brokerJitCpu(pid: number): number {
  let sum = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      if (readFileSync(`/proc/${pid}/task/${tid}/comm`, "utf8").includes("CompilerThre"))
        sum += procCpuSeconds(pid, Number(tid));
    } catch {
      // The thread ended.
    }
  }
  return sum;
}

/**
 * A fresh broker on the C2 JIT (JDK 25, ADR 114) compiles through its first
 * ~1.5 minutes under load; phases run on it would time its compiler. Such a
 * broker (under 60 s of CPU so far; BENCH_BROKER_WARMUP=1 forces, 0 skips)
 * first gets matcher-like transactions — 4 transactional ids, 40 records and
 * an offset commit each, every ~15 ms, a read-committed consumer tailing — on
 * throwaway topics until its compiler threads use < 5% of a core over 5 s
 * (at least 20 s, at most 120 s). Nothing of it is measured.
 */
async function warmBroker(): Promise<string> {
  const mode = process.env.BENCH_BROKER_WARMUP ?? "auto";
  if (BROKER === undefined || mode === "0") return "none";
  if (mode !== "1" && brokerJvmFlags().includes("TieredStopAtLevel=1")) return "none (C1 JIT only)";
  if (mode !== "1" && procCpuSeconds(BROKER) > 60) return "none (warm: over 60 s of CPU)";
  const topic = `bench.warm.${run}`;
  const input = `bench.warm.in.${run}`;
  const groupId = `bench.warm.${run}`;
  await ensureTopics(kafka, [
    { name: topic, partitions: 4, replicationFactor: 1 },
    { name: input, partitions: 4, replicationFactor: 1 },
  ]);
  const producers = await Promise.all(
    [0, 1, 2, 3].map((p) =>
      createTransactionalProducer(kafka, {
        transactionalId: transactionalIdFor(groupId, input, p),
      }),
    ),
  );
  const consumer = createConsumer(kafka, {
    groupId: `${groupId}.out`,
    readCommitted: true,
    maxWaitTimeInMs: 100,
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ autoCommit: false, eachBatch: async () => {} });
  const value = Buffer.alloc(200, 1);
  const started = performance.now();
  const jitAtStart = brokerJitCpu(BROKER);
  let jit = jitAtStart;
  let transactions = 0;
  let offset = 0;
  for (;;) {
    const roundEnd = performance.now() + 5_000;
    while (performance.now() < roundEnd) {
      const t0 = performance.now();
      offset += 40;
      await Promise.all(
        producers.map((producer, partition) =>
          producer.commit({
            sends: [
              {
                topic,
                records: Array.from({ length: 40 }, () => ({ key: "WARM", value, partition })),
              },
            ],
            offsets: { groupId, offsets: [{ topic: input, partition, offset: String(offset) }] },
          }),
        ),
      );
      transactions += producers.length;
      const wait = 15 - (performance.now() - t0);
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    const now = brokerJitCpu(BROKER);
    const round = now - jit;
    jit = now;
    const elapsed = (performance.now() - started) / 1000;
    if ((elapsed >= 20 && round < 0.25) || elapsed >= 120) break;
  }
  await Promise.all(producers.map((p) => p.disconnect()));
  await consumer.disconnect();
  return `${((performance.now() - started) / 1000).toFixed(0)} s, ${transactions} transactions, broker JIT ${(jit - jitAtStart).toFixed(1)} s of CPU in it`;
}

console.log(`broker warm-up (not measured): ${await warmBroker()}`);
let port = 18_540;
for (const partitions of PARTITIONS) {
  if (PHASES.includes("throughput")) {
    const tp = await throughput(partitions, port++);
    console.log(
      `throughput  partitions=${tp.partitions}  ${tp.commandsPerSec.toLocaleString("en")} commands/s  (${tp.commands} commands -> ${tp.outputs} outputs; ${(tp.commands - tp.beforeClock).toLocaleString("en")} commands after the first transaction's outputs, in ${tp.seconds.toFixed(2)} s)  load ${loadavg()[0]!.toFixed(2)}`,
    );
    console.log(`            ${tp.cpu}`);
    console.log(`            ${tp.slices}`);
  }
  if (PHASES.includes("latency")) {
    const lat = await latency(partitions, port++);
    console.log(
      `latency     partitions=${lat.partitions}  offered ${lat.offeredRate}/s achieved ${lat.achievedRate}/s  p50 ${lat.p50ms.toFixed(1)} ms  p90 ${lat.p90ms.toFixed(1)} ms  p99 ${lat.p99ms.toFixed(1)} ms  p99.9 ${lat.p999ms.toFixed(1)} ms  max ${lat.maxMs.toFixed(1)} ms  (n=${lat.measured} commands with an output due in the ${SECONDS} s after a ${WARMUP_SECONDS} s warm-up at the same rate; p99 with the warm-up ${lat.allP99ms.toFixed(1)} ms; ${lat.sends} sends, generator at most ${lat.maxBehindMs.toFixed(1)} ms behind its linger)  load ${loadavg()[0]!.toFixed(2)}`,
    );
    console.log(
      `            worst latency (ms) of the inputs due in each second, warm-up first: ${lat.worstPerSecond}`,
    );
    console.log(`            ${lat.cpu}`);
    console.log(`            ${lat.slices}`);
  }
}
await infra.release();
process.exit(0);
