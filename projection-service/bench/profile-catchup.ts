// Diagnostic (not the benchmark): catch-up only, with Postgres backend CPU per
// statement kind (/proc/<pid>/schedstat around each statement) and, with
// PROFILE=1, a V8 CPU profile of the consume window only. Env as bench:projection;
// BENCH_CATCHUP_ORDERS (default 20000), PROFILE_OUT (default /tmp/projection-catchup.cpuprofile);
// ALLOC_PROFILE=1 writes the window's sampled allocations (collected ones
// included) to ALLOC_PROFILE_OUT (default /tmp/projection-catchup.heapprofile).
import { readdirSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { migrateEventStore, PostgresEventStore } from "@fxcore/event-store";
import {
  createKafka,
  createPgPool,
  createProducer,
  createScratchDatabase,
  deleteTopics,
  ensureTopics,
} from "@fxcore/infra";
import { cpuTicks, schedStat, taskStat } from "@fxcore/infra/proc-stat";
import { createSerde } from "@fxcore/schemas";
import pg from "pg";
import { decodeWith } from "../src/consumer/decode.ts";
import { startProjectionConsumer } from "../src/consumer/projection-consumer.ts";
import { pairLookup } from "../src/reference-pairs.ts";
import { migrateProjection } from "../src/store/migrate.ts";
import { scriptedSession } from "../test/session.ts";
import { encodeEvent } from "../test/topic-records.ts";

const KAFKA = process.env.KAFKA_BROKERS ?? "127.0.0.1:19092";
const REGISTRY = process.env.SCHEMA_REGISTRY_URL ?? "http://127.0.0.1:18081/apis/ccompat/v7";
const ADMIN_DB = process.env.DATABASE_URL ?? "postgres://fxcore:fxcore@127.0.0.1:15432/fxcore";
const N = Number(process.env.BENCH_CATCHUP_ORDERS ?? 20_000);
const suffix = Date.now().toString(36);
const kafka = createKafka({ brokers: KAFKA, clientId: "profile-projection" });
const serde = createSerde({ registryUrl: REGISTRY });
const producer = await createProducer(kafka);
const db = `proj_prof_${suffix}`;
const admin = new pg.Client({ connectionString: ADMIN_DB });
await admin.connect();
const scratch = await createScratchDatabase(ADMIN_DB, db);
const pool = createPgPool({
  connectionString: scratch.url,
  applicationName: "profile-projection",
  max: 4,
});
const perKind = new Map<string, { n: number; ns: number }>();
const schedNs = (pid: number) => schedStat(pid)?.onCpuNs ?? Number.NaN;
const kindOf = (q: unknown): string => {
  const t =
    typeof q === "string"
      ? q
      : typeof (q as { submit?: unknown }).submit === "function"
        ? "batch write: BEGIN … COMMIT in one message (ADR 110)"
        : ((q as { text?: string }).text ?? "?");
  return t.replace(/\s+/g, " ").slice(0, 70);
};
let measuring = false;
pool.on("connect", (client) => {
  const pid = (client as unknown as { processID: number }).processID;
  const query = client.query.bind(client) as (...a: unknown[]) => unknown;
  (client as { query: unknown }).query = (...a: unknown[]) => {
    if (!measuring) return query(...a);
    const k = kindOf(a[0]);
    const t0 = schedNs(pid);
    const add = () => {
      const e = perKind.get(k) ?? { n: 0, ns: 0 };
      e.n++;
      e.ns += schedNs(pid) - t0;
      perKind.set(k, e);
    };
    const cb = a.at(-1);
    if (typeof cb === "function")
      a[a.length - 1] = (...x: unknown[]) => {
        add();
        return (cb as (...y: unknown[]) => unknown)(...x);
      };
    // A batch's write is one message since ADR 110 (a query object that settles on ReadyForQuery or an error).
    const q = a[0] as {
      submit?: unknown;
      handleReadyForQuery?: () => void;
      handleError?: (e: unknown) => void;
    };
    if (typeof q?.submit === "function" && q.handleReadyForQuery && q.handleError) {
      const ready = q.handleReadyForQuery;
      const error = q.handleError;
      q.handleReadyForQuery = () => {
        add();
        ready();
      };
      q.handleError = (e: unknown) => {
        add();
        error(e);
      };
      return query(...a);
    }
    const r = query(...a) as
      | { then?: unknown; on?: (e: string, f: () => void) => void }
      | undefined;
    if (!r || typeof cb === "function") return r;
    if (typeof r.then === "function") (r as Promise<unknown>).then(add, add);
    else if (r.on) {
      r.on("finish", add);
      r.on("error", add);
    }
    return r;
  };
});
await migrateEventStore(pool);
await migrateProjection(pool);
const topics = { orders: `fx.orders.prof-${suffix}`, executions: `fx.executions.prof-${suffix}` };
await ensureTopics(
  kafka,
  [topics.orders, topics.executions].map((name) => ({ name, partitions: 4, replicationFactor: 1 })),
);
const events = scriptedSession(N, 32, 1);
const encoded = await Promise.all(events.map((e) => encodeEvent(serde, topics, e)));
for (let i = 0; i < encoded.length; i += 1000) {
  const chunk = encoded.slice(i, i + 1000);
  for (const topic of [topics.orders, topics.executions]) {
    const records = chunk
      .filter((c) => c.topic === topic)
      .map((c) => ({ key: c.key, value: c.value }));
    if (records.length) await producer.send(topic, records);
  }
}
const backends = async () => {
  const { rows } = await admin.query<{ pid: number }>(
    "SELECT pid FROM pg_stat_activity WHERE datname = $1",
    [db],
  );
  let s = 0;
  for (const { pid } of rows) s += schedNs(pid);
  return s;
};
const session = new Session();
if (process.env.PROFILE === "1") {
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.setSamplingInterval", { interval: 500 });
}
let applied = 0;
let last = 0;
measuring = true;
const pg0 = await backends();
// CPU per thread of this process (V8's GC and compiler threads).
const threads = (): Map<string, number> => {
  const out = new Map<string, number>();
  for (const tid of readdirSync("/proc/self/task")) {
    const t = taskStat(tid);
    if (t !== undefined) out.set(`${t.name}#${tid}`, cpuTicks(t.fields));
  }
  return out;
};
const threads0 = threads();
const cpu0 = process.cpuUsage();
const main0 = process.threadCpuUsage();
const t0 = performance.now();
if (process.env.PROFILE === "1") await session.post("Profiler.start");
// ALLOC_PROFILE=1: sampled allocations of the consume window, collected ones included.
if (process.env.ALLOC_PROFILE === "1") {
  if (process.env.PROFILE !== "1") session.connect();
  await session.post("HeapProfiler.startSampling", {
    samplingInterval: 16_384,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
}
const c = await startProjectionConsumer({
  kafka,
  pool,
  groupId: `prof-${suffix}`,
  topics: [topics.orders, topics.executions],
  decode: decodeWith(serde, { registryUrl: REGISTRY }),
  projector: {
    schema: "rm_v1",
    pairs: pairLookup(),
    eventStore: new PostgresEventStore(pool),
    audit: true,
  },
  onBatch: (b) => {
    applied += b.result.eventIds.length;
    last = performance.now();
  },
});
await c.joined;
while (applied < events.length) await new Promise((r) => setTimeout(r, 20));
const cpu = process.cpuUsage(cpu0);
const main = process.threadCpuUsage(main0);
const threads1 = threads();
const pgNs = (await backends()) - pg0;
if (process.env.PROFILE === "1") {
  const { profile } = await session.post("Profiler.stop");
  writeFileSync(
    process.env.PROFILE_OUT ?? "/tmp/projection-catchup.cpuprofile",
    JSON.stringify(profile),
  );
}
if (process.env.ALLOC_PROFILE === "1") {
  const { profile } = await session.post("HeapProfiler.stopSampling");
  writeFileSync(
    process.env.ALLOC_PROFILE_OUT ?? "/tmp/projection-catchup.heapprofile",
    JSON.stringify(profile),
  );
}
measuring = false;
const n = events.length;
console.log(
  `${n} events in ${((last - t0) / 1000).toFixed(2)} s; process ${((cpu.user + cpu.system) / n).toFixed(1)} µs/event (main thread ${((main.user + main.system) / n).toFixed(1)}), Postgres ${(pgNs / 1000 / n).toFixed(1)} µs/event`,
);
const perName = new Map<string, number>();
for (const [k, t] of threads1) {
  const name = k.slice(0, k.lastIndexOf("#"));
  perName.set(name, (perName.get(name) ?? 0) + t - (threads0.get(k) ?? 0));
}
// /proc ticks are 10 ms (USER_HZ 100).
console.log(
  `  threads: ${[...perName]
    .filter(([, t]) => t > 0)
    .sort((a, b) => b[1] - a[1])
    .map(([name, t]) => `${name} ${((t * 1e4) / n).toFixed(1)}`)
    .join(", ")} µs/event`,
);
for (const [k, v] of [...perKind].sort((a, b) => b[1].ns - a[1].ns).slice(0, 30))
  console.log(
    `${(v.ns / 1000 / n).toFixed(2).padStart(7)} µs/ev ${String(v.n).padStart(5)}x  ${k}`,
  );
await c.stop();
await pool.end();
if (process.env.KEEP_DB === "1") console.log(`kept database ${db}`);
else await scratch.drop();
await admin.end();
await producer.disconnect();
await deleteTopics(kafka, [topics.orders, topics.executions]).catch(() => {});
