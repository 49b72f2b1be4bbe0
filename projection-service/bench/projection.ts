// npm run bench:projection — projection throughput and order-to-visible latency.
//
// Workload: a scripted session from the domain's matching engine over EURUSD
// and USDJPY, four accounts (limit/market/IOC orders, ~15% cancels): each
// input's OrderAccepted/OrderCancelRequested goes to fx.orders, the engine's
// outputs to fx.executions (Avro via the registry, 4 partitions each, keyed by
// pair). The projection runs in this process exactly as in the service
// (startProjectionConsumer): read_committed consumer, one Postgres
// transaction per batch with the read models, offsets, processed-event set,
// event-store sink and audit chain.
//   1. catch-up: BENCH_CATCHUP_ORDERS inputs published first, then the
//      consumer starts; events/s = events / (last commit − group join).
//   2. live: BENCH_RATE inputs/s for BENCH_SECONDS, published by a worker
//      thread (own event loop) in 20 ms ticks; order-to-visible = wall time
//      from just before the producer's send of an OrderAccepted to the COMMIT
//      of the projection transaction that applied it (HDR histogram, ms). The
//      send stands in for order entry's publish by the outbox relay: the
//      command side and the matcher are not in this measurement. Printed hop
//      by hop too (p50/p99 per OrderAccepted): sent → acked (the producer's
//      send answered, acks=all) → fetched (decoded out of a consumer fetch) →
//      taken (into a batch) → prepared (projected, statements encoded) →
//      writing (its transaction sent, after the batch before it committed)
//      → committed.
// Per phase it also prints where the time goes: CPU µs per event of this
// process (decode, projection, SQL encoding; in the live phase the producer
// thread too) and of the phase database's Postgres backends, and round trips
// per batch (a batch's write is one since ADR 110; its reads are the rest).
// BENCH_TIMELINE=1 prints the catch-up batch by batch (taken, prepared,
// writing, committed, ms after the group join).
// Real local infra (npm run infra:up); env KAFKA_BROKERS, SCHEMA_REGISTRY_URL,
// DATABASE_URL default to its ports. A fresh database per phase, dropped after.
import { readdirSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { Worker } from "node:worker_threads";
import { migrateEventStore, PostgresEventStore } from "@fxcore/event-store";
import {
  createKafka,
  createPgPool,
  createProducer,
  createScratchDatabase,
  deleteTopics,
  ensureTopics,
  type PgPool,
} from "@fxcore/infra";
import { cpuTicks, procStat, taskStat } from "@fxcore/infra/proc-stat";
import { createSerde } from "@fxcore/schemas";
import * as hdr from "hdr-histogram-js";
import pg from "pg";
import { decodeWith } from "../src/consumer/decode.ts";
import { type BatchTiming, startProjectionConsumer } from "../src/consumer/projection-consumer.ts";
import type { EventEnvelope } from "../src/models/envelope.ts";
import { pairLookup } from "../src/reference-pairs.ts";
import { migrateProjection } from "../src/store/migrate.ts";
import { scriptedSession } from "../test/session.ts";
import { type EncodedEvent, encodeEvent } from "../test/topic-records.ts";
import type { LiveProducerInput, LiveProducerMessage } from "./live-producer.ts";

const KAFKA = process.env.KAFKA_BROKERS ?? "127.0.0.1:19092";
const REGISTRY = process.env.SCHEMA_REGISTRY_URL ?? "http://127.0.0.1:18081/apis/ccompat/v7";
const ADMIN_DB = process.env.DATABASE_URL ?? "postgres://fxcore:fxcore@127.0.0.1:15432/fxcore";
const CATCHUP_ORDERS = Number(process.env.BENCH_CATCHUP_ORDERS ?? 20_000);
const RATE = Number(process.env.BENCH_RATE ?? 5_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const suffix = Date.now().toString(36);

const kafka = createKafka({ brokers: KAFKA, clientId: "bench-projection" });
const serde = createSerde({ registryUrl: REGISTRY });
const producer = await createProducer(kafka);

interface Phase {
  pool: PgPool;
  db: string;
  orders: string;
  executions: string;
  /** Round trips of the projection's connections (a batch's whole write is one, ADR 110). */
  readonly counts: { roundTrips: number };
  cleanup(): Promise<void>;
}
const phase = async (name: string): Promise<Phase> => {
  const db = `proj_bench_${name}_${suffix}`;
  const scratch = await createScratchDatabase(ADMIN_DB, db);
  const pool = createPgPool({
    connectionString: scratch.url,
    applicationName: "bench-projection",
    max: 4,
  });
  const counts = { roundTrips: 0 };
  // Count what each pooled connection sends (round trips; a COPY is one).
  pool.on("connect", (client) => {
    const query = client.query.bind(client) as (...a: unknown[]) => unknown;
    (client as { query: unknown }).query = (...a: unknown[]) => {
      counts.roundTrips++;
      return query(...a);
    };
  });
  await migrateEventStore(pool);
  await migrateProjection(pool);
  const orders = `fx.orders.bench-${name}-${suffix}`;
  const executions = `fx.executions.bench-${name}-${suffix}`;
  return {
    pool,
    db,
    counts,
    orders,
    executions,
    async cleanup() {
      await pool.end();
      await scratch.drop();
    },
  };
};

/** CPU seconds of the phase database's backends so far (Linux /proc; 0 where unreadable). */
const ticksPerSecond = 100;
const backendCpu = async (p: Phase): Promise<Map<number, number>> => {
  const c = new pg.Client({ connectionString: ADMIN_DB });
  await c.connect();
  try {
    const { rows } = await c.query<{ pid: number }>(
      "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND application_name = 'bench-projection'",
      [p.db],
    );
    const out = new Map<number, number>();
    for (const { pid } of rows) {
      const f = procStat(pid);
      if (f !== undefined) out.set(pid, cpuTicks(f) / ticksPerSecond);
    }
    return out;
  } finally {
    await c.end();
  }
};
const cpuSince = (before: Map<number, number>, after: Map<number, number>) => {
  let s = 0;
  for (const [pid, t] of after) s += t - (before.get(pid) ?? 0);
  return s;
};

/** CPU seconds per thread name of this process (/proc/self/task; empty where unreadable). */
const threadCpu = (): Map<string, number> => {
  const out = new Map<string, number>();
  let tids: string[] = [];
  try {
    tids = readdirSync("/proc/self/task");
  } catch {}
  for (const tid of tids) {
    const t = taskStat(tid);
    if (t !== undefined) out.set(`${t.name}#${tid}`, cpuTicks(t.fields) / ticksPerSecond);
  }
  return out;
};
const byThreadName = (
  before: Map<string, number>,
  after: Map<string, number>,
  leaveOut: string | null,
) => {
  const out = new Map<string, number>();
  for (const [k, t] of after) {
    const at = k.lastIndexOf("#");
    if (k.slice(at + 1) === leaveOut) continue;
    const name = k.slice(0, at);
    out.set(name, (out.get(name) ?? 0) + t - (before.get(k) ?? 0));
  }
  return out;
};

/** Starts a measurement: call the result at the end of the phase for its CPU line. */
const measure = async (p: Phase) => {
  const pg0 = await backendCpu(p);
  const threads0 = threadCpu();
  const cpu0 = process.cpuUsage();
  const main0 = process.threadCpuUsage();
  const r0 = p.counts.roundTrips;
  return async (
    events: number,
    batches: number,
    what: string,
    excluded = { user: 0, system: 0 },
    excludedTid: string | null = null,
  ) => {
    const all = process.cpuUsage(cpu0);
    const main = process.threadCpuUsage(main0);
    const threads = byThreadName(threads0, threadCpu(), excludedTid);
    const cpu = { user: all.user - excluded.user, system: all.system - excluded.system };
    const pgSecs = cpuSince(pg0, await backendCpu(p));
    const us = (secs: number) => ((secs * 1e6) / events).toFixed(1);
    const roundTrips = p.counts.roundTrips - r0;
    console.log(
      `  CPU per event: ${what} ${us((cpu.user + cpu.system) / 1e6)} µs (its main thread ${us((main.user + main.system) / 1e6)}), Postgres backends ${us(pgSecs)} µs; ` +
        `${batches} batches, ${(events / Math.max(1, batches)).toFixed(0)} events/batch, ${(roundTrips / Math.max(1, batches)).toFixed(1)} round trips/batch (its write one of them)`,
    );
    // /proc ticks are 10 ms. Worker threads: none of the projection's since
    // ADR 124 (the live producer thread is left out by its id); V8's helper
    // threads (GC, JIT) serve every isolate of the process, the producer's included.
    console.log(
      `    by thread: main ${us(threads.get("MainThread") ?? 0)}, worker threads ${us(threads.get("WorkerThread") ?? 0)}, V8 helper threads (GC, JIT) ${us(threads.get("V8Worker") ?? 0)} µs`,
    );
  };
};

type Encoded = EncodedEvent;
const encodeAll = (p: Phase, events: readonly EventEnvelope[]): Promise<Encoded[]> =>
  Promise.all(
    events.map((e) => encodeEvent(serde, { orders: p.orders, executions: p.executions }, e)),
  );

const send = async (p: Phase, chunk: readonly Encoded[]) => {
  for (const topic of [p.orders, p.executions]) {
    const records = chunk
      .filter((c) => c.topic === topic)
      .map((c) => ({ key: c.key, value: c.value }));
    if (records.length) await producer.send(topic, records);
  }
};

/** Records per decode path over the whole run (the compiled one should take them all). */
const decoders: { compiled: number; serde: number }[] = [];
const consume = (
  p: Phase,
  onCommitted: (ids: readonly string[], size: number, timing: BatchTiming) => void,
  /** When given: the time each OrderAccepted came out of a fetch (decoded), by event id. */
  fetchedAt?: Map<string, number>,
) => {
  const compiled = decodeWith(serde, { registryUrl: REGISTRY });
  decoders.push(compiled.counts);
  const decode: typeof compiled = fetchedAt
    ? Object.assign(
        (record: Parameters<typeof compiled>[0]) => {
          const r = compiled(record);
          if (!(r instanceof Promise) && r.ok && r.value.envelope.event.type === "OrderAccepted")
            fetchedAt.set(r.value.envelope.eventId, performance.now());
          return r;
        },
        { counts: compiled.counts },
      )
    : compiled;
  return startProjectionConsumer({
    kafka,
    pool: p.pool,
    groupId: `bench-projection-${suffix}-${p.orders}`,
    topics: [p.orders, p.executions],
    decode,
    projector: {
      schema: "rm_v1",
      pairs: pairLookup(),
      eventStore: new PostgresEventStore(p.pool),
      audit: true,
    },
    onBatch: (b) => onCommitted(b.result.eventIds, b.size, b.timing),
    ...(process.env.BENCH_MAX_BATCH
      ? { maxEventsPerTransaction: Number(process.env.BENCH_MAX_BATCH) }
      : {}),
    ...(process.env.BENCH_FIRST_BATCH
      ? { firstBatchEvents: Number(process.env.BENCH_FIRST_BATCH) }
      : {}),
  });
};

// Topics of both phases up front: a producer that saw topics deleted mid-run trips over fresh ones.
const topicNames = ["catchup", "live"].flatMap((n) => [
  `fx.orders.bench-${n}-${suffix}`,
  `fx.executions.bench-${n}-${suffix}`,
]);
await ensureTopics(
  kafka,
  topicNames.map((name) => ({ name, partitions: 4, replicationFactor: 1 })),
);

const count = (inputs: number, tag: number) => scriptedSession(inputs, 31 + tag, tag);

console.log(
  `machine: ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}; load before: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")}`,
);

// ---- 1. catch-up ----
{
  const p = await phase("catchup");
  // Only the count outlives the publishing: the session and its records would
  // otherwise sit in this process's heap, marked by every major GC the
  // projection's CPU is charged with (the service holds no such thing).
  const events = {
    length: await (async () => {
      const session = count(CATCHUP_ORDERS, 1);
      const encoded = await encodeAll(p, session);
      for (let i = 0; i < encoded.length; i += 1_000) await send(p, encoded.slice(i, i + 1_000));
      return session.length;
    })(),
  };
  let applied = 0;
  let batches = 0;
  let lastCommit = 0;
  let t0 = performance.now();
  const done = await measure(p);
  const timeline: string[] = [];
  const c = await consume(p, (ids, _size, t) => {
    applied += ids.length;
    batches++;
    lastCommit = performance.now();
    if (process.env.BENCH_TIMELINE)
      timeline.push(
        `    ${ids.length} events: taken ${(t.taken - t0).toFixed(0)}, prepared ${(t.prepared - t0).toFixed(0)}, writing ${(t.writing - t0).toFixed(0)}, committed ${(t.committed - t0).toFixed(0)} ms`,
      );
  });
  await c.joined;
  const joinedAfter = performance.now() - t0;
  t0 = performance.now();
  const appliedAtJoin = applied;
  while (applied < events.length) await new Promise((r) => setTimeout(r, 50));
  const secs = (lastCommit - t0) / 1000;
  console.log(
    `catch-up: ${events.length} events (${CATCHUP_ORDERS} inputs); group join ${joinedAfter.toFixed(0)} ms, then ${events.length - appliedAtJoin} events in ${secs.toFixed(2)} s = ${Math.round((events.length - appliedAtJoin) / secs)} events/s (target ≥ 20,000)`,
  );
  await done(events.length, batches, "projection process");
  if (timeline.length) console.log(timeline.join("\n"));
  await c.stop();
  await p.cleanup();
}

// ---- 2. live at RATE inputs/s ----
{
  const p = await phase("live");
  const total = RATE * SECONDS;
  // As in the catch-up: the session and its records live only until the
  // producer thread has its copy (workerData), not through the phase.
  let session: EventEnvelope[] | undefined = count(total, 2);
  const events = { length: session.length };
  let encoded: Encoded[] | undefined = await encodeAll(p, session);
  const sentAt = new Map<string, number>();
  /** Per OrderAccepted: its tick (for the ack time) and the batch that applied it. */
  const tickOf = new Map<string, number>();
  const ackedAt: number[] = [];
  const fetchedAt = new Map<string, number>();
  const batchOf = new Map<string, BatchTiming>();
  const visibleAt = new Map<string, number>();
  let applied = 0;
  let batches = 0;
  const wall = () => performance.timeOrigin + performance.now();
  const c = await consume(
    p,
    (ids, _size, timing) => {
      const now = wall();
      applied += ids.length;
      batches++;
      for (const id of ids) {
        visibleAt.set(id, now);
        batchOf.set(id, timing);
      }
    },
    fetchedAt,
  );
  await c.joined;
  // An input and its matcher outputs go out in the same tick.
  let inputs: LiveProducerInput["inputs"][number][] | undefined = [];
  for (const e of encoded) {
    const record = { topic: e.topic, key: e.key, value: e.value };
    if (e.envelope.position !== null)
      inputs.push({
        records: [record],
        acceptedId: e.envelope.event.type === "OrderAccepted" ? e.envelope.eventId : null,
      });
    else (inputs.at(-1)?.records as unknown[] | undefined)?.push(record);
  }
  const done = await measure(p);
  const worker = new Worker(new URL("./live-producer.ts", import.meta.url), {
    workerData: {
      brokers: KAFKA,
      topics: [p.orders, p.executions],
      rate: RATE,
      tickMs: 20,
      inputs,
    } satisfies LiveProducerInput,
  });
  session = undefined;
  encoded = undefined;
  inputs = undefined;
  const sent = await new Promise<Extract<LiveProducerMessage, { type: "done" }>>(
    (resolve, reject) => {
      worker.on("message", (m: LiveProducerMessage) => {
        if (m.type === "sent")
          for (const id of m.ids) {
            sentAt.set(id, m.at);
            tickOf.set(id, m.tick);
          }
        else if (m.type === "acked") ackedAt[m.tick] = m.at;
        else resolve(m);
      });
      worker.on("error", reject);
    },
  );
  // The producer thread's own CPU (its whole life), reported apart from the projection's.
  const producerCpu = await worker.cpuUsage();
  worker.postMessage("bye");
  const deadline = performance.now() + 120_000;
  while (applied < events.length && performance.now() < deadline)
    await new Promise((r) => setTimeout(r, 50));
  await done(events.length, batches, "projection", producerCpu, sent.tid);
  console.log(
    `  producer thread (not the projection): ${((producerCpu.user + producerCpu.system) / events.length).toFixed(1)} µs CPU per event`,
  );
  const h = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 300_000,
    numberOfSignificantValueDigits: 3,
  });
  for (const [id, t] of sentAt) {
    const v = visibleAt.get(id);
    if (v !== undefined) h.recordValue(Math.max(1, Math.round(v - t)));
  }
  // Hop by hop (wall clock of both threads; this thread's stage times are moved onto it).
  const hops = [
    "sent → acked",
    "acked → fetched",
    "fetched → taken",
    "taken → prepared",
    "prepared → writing",
    "writing → committed",
  ];
  const hopHist = hops.map(() =>
    hdr.build({
      lowestDiscernibleValue: 1,
      highestTrackableValue: 300_000_000,
      numberOfSignificantValueDigits: 3,
    }),
  );
  const origin = performance.timeOrigin;
  for (const [id, t] of sentAt) {
    const b = batchOf.get(id);
    const acked = ackedAt[tickOf.get(id) ?? -1];
    const fetched = fetchedAt.get(id);
    if (b === undefined || acked === undefined || fetched === undefined) continue;
    const at = [
      t,
      acked,
      origin + fetched,
      origin + b.taken,
      origin + b.prepared,
      origin + b.writing,
      origin + b.committed,
    ];
    for (let i = 0; i < hops.length; i++)
      hopHist[i]!.recordValue(Math.max(1, Math.round((at[i + 1]! - at[i]!) * 1000)));
  }
  console.log(
    `  hops (µs p50 / p99): ${hops.map((name, i) => `${name} ${hopHist[i]!.getValueAtPercentile(50)} / ${hopHist[i]!.getValueAtPercentile(99)}`).join(", ")}`,
  );
  console.log(
    `live: ${total} inputs (${events.length} events) offered at ${RATE}/s, sent in ${sent.seconds.toFixed(2)} s (${Math.round(total / sent.seconds)} inputs/s achieved, producer late on ${sent.lateTicks} ticks); applied ${applied}/${events.length}`,
  );
  console.log(
    `order-to-visible (OrderAccepted send → COMMIT that applied it), ${h.totalCount} of ${sentAt.size} orders: p50 ${h.getValueAtPercentile(50)} ms, p90 ${h.getValueAtPercentile(90)} ms, p99 ${h.getValueAtPercentile(99)} ms, max ${h.maxValue} ms (target p99 < 250 ms)`,
  );
  await c.stop();
  await p.cleanup();
}
console.log(
  `decoders: ${decoders.reduce((a, d) => a + d.compiled, 0)} records by the compiled reader, ${decoders.reduce((a, d) => a + d.serde, 0)} by the serde`,
);
console.log(
  `load after: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")}`,
);
await producer.disconnect();
await deleteTopics(kafka, topicNames).catch(() => {});
