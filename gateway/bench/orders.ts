// npm run bench:gateway — signed NewOrderSingle requests end to end on loopback:
// load generator (child process, load-generator.ts) → gateway (child process)
// → command-service (child process) → Postgres event store. Closed loop:
// CONCURRENCY requests in flight over keep-alive connections, each a fresh
// ClOrdID, signed when sent. Open loop (BENCH_RATE): orders are due at the
// offered rate, leave when due over at most CONCURRENCY connections, are
// signed when they leave, and are timed from their due time; the rate ramps
// up over the first RAMP_S seconds of the warm-up (ADR 121). This process
// only orchestrates and reads CPU.
//
// Workload: EURUSD limit GTC orders of 1,000 units, buys at 1.00000–1.00099
// and sells at 1.20000–1.20099 (never crossing; no matcher is needed), spread
// over ACCOUNTS accounts with one trader key each. Warm-up WARMUP_S seconds,
// then DURATION_S measured. Latency = request sent (closed loop) or due (open
// loop) → ExecutionReport received. The tail's shape: latency per 100 ms
// window of due time, and every process's GC pauses (gc-log.ts), lined up.
//
// Env: DATABASE_URL, SCHEMA_REGISTRY_URL, KAFKA_BROKERS (default: the local
// infra of `npm run infra:up`), BENCH_CONCURRENCY (64: requests in flight, or
// with BENCH_RATE the most connections), BENCH_RATE (0: closed loop; else
// orders/s offered, open loop), BENCH_DURATION_S (20), BENCH_WARMUP_S (5;
// open loop 15), BENCH_RAMP_S (open loop: half the warm-up; 0 = a step),
// BENCH_ACCOUNTS (8), BENCH_LOADGENS (1 load generator process),
// BENCH_UPSTREAM (command-service | stub: a canned answerer instead of
// command-service, to see the gateway's own ceiling), BENCH_PROFILE_DIR (write
// a --cpu-prof of the gateway there, and of the load generators under
// load-generator/), BENCH_TRACE_DIR (write windows.csv and gc.csv there),
// BENCH_GATEWAY_NODE_FLAGS / BENCH_SERVICE_NODE_FLAGS / BENCH_LOADGEN_NODE_FLAGS
// (node flags for the gateway / command-service / load generators,
// space-separated; defaults: --no-parallel-scavenge for the gateway and
// command-service, as deployed (ADR 131), and --no-allocation-site-pretenuring
// for command-service (ADR 134), --single-threaded-gc for the load
// generators; set one empty for none), BENCH_GATEWAY_PORT (18520),
// BENCH_UPSTREAM_PORT (18521), BENCH_GATEWAY_ENV (extra gateway env, k=v,k=v),
// BENCH_GATEWAY_SCRIPT (another checkout's gateway/src/main.ts, for A/B runs),
// BENCH_SCHED (batch: the gateway, command-service and load generators run
// SCHED_BATCH, ADR 135; other: the default policy).

import { type ChildProcess, fork, spawn } from "node:child_process";
import { createHmac, createSecretKey, hash, randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { createPgPool } from "@fxcore/infra";
import {
  cpuTicks,
  machineTicks,
  procStat,
  type SchedStat,
  schedStat,
} from "@fxcore/infra/proc-stat";
import {
  BACK_END_NICE,
  niceOf,
  renice,
  schedPolicyOf,
  scheduleBatch,
} from "@fxcore/infra/scheduling";
import * as hdr from "hdr-histogram-js";
import pg from "pg";
import { createKey, migrateKeyStore } from "../src/auth/key-store.ts";
import type { LoadResult, WindowStats } from "./load-generator.ts";

const env = (k: string, d: string) => process.env[k] ?? d;
const DATABASE_URL = env("DATABASE_URL", "postgres://fxcore:fxcore@127.0.0.1:15432/fxcore");
const SCHEMA_REGISTRY_URL = env("SCHEMA_REGISTRY_URL", "http://127.0.0.1:18081/apis/ccompat/v7");
const KAFKA_BROKERS = env("KAFKA_BROKERS", "127.0.0.1:19092");
const CONCURRENCY = Number(env("BENCH_CONCURRENCY", "64"));
/** Offered orders/s, open loop over CONCURRENCY connections at most; 0: closed loop. */
const RATE = Number(env("BENCH_RATE", "0"));
const DURATION_S = Number(env("BENCH_DURATION_S", "20"));
// Open loop: 15 s, of which the first half ramps the rate up (RAMP_S).
const WARMUP_S = Number(env("BENCH_WARMUP_S", RATE > 0 ? "15" : "5"));
/** Open loop: the offered rate ramps up from 0 over this many seconds of the warm-up. */
const RAMP_S = Math.min(WARMUP_S, Number(env("BENCH_RAMP_S", String(WARMUP_S / 2))));
const ACCOUNTS = Number(env("BENCH_ACCOUNTS", "8"));
const UPSTREAM = env("BENCH_UPSTREAM", "command-service");
const LOADGENS = Number(env("BENCH_LOADGENS", "1"));
const runId = Date.now().toString(36);
const GW_PORT = Number(env("BENCH_GATEWAY_PORT", "18520"));
const CS_PORT = Number(env("BENCH_UPSTREAM_PORT", "18521"));

const dbName = `gwbench_${Date.now().toString(36)}`;
const admin = new pg.Client({ connectionString: DATABASE_URL });
await admin.connect();
await admin.query(`CREATE DATABASE "${dbName}"`);
const dbUrl = new URL(DATABASE_URL);
dbUrl.pathname = `/${dbName}`;
const master = randomBytes(32);
const children: ChildProcess[] = [];
/** GC pauses of every process (gc-log.ts), and BENCH_TRACE_DIR's copies of them and of the windows. */
const TRACE_DIR = process.env.BENCH_TRACE_DIR;
const gcDir = mkdtempSync(join(tmpdir(), "gwbench-gc-"));
const WINDOW_MS = 100;
const GC_LOG = new URL("./gc-log.ts", import.meta.url).pathname;
const gcLogOf = (name: string) => join(gcDir, `${name}.gc`);

/**
 * CPU time (user + system, ms) a process has used, from /proc. Per-request CPU
 * is far less sensitive to a busy machine than throughput is.
 */
const cpuMs = (pid: number | undefined, kernelOnly = false): number => {
  const fields = pid === undefined ? undefined : procStat(pid);
  if (fields === undefined) return Number.NaN;
  return ((kernelOnly ? Number(fields[12]) : cpuTicks(fields)) * 1000) / 100; // USER_HZ = 100
};

/** The Postgres backends serving the bench database (WAL writer etc. not included). */
const postgresPids = (): number[] =>
  readdirSync("/proc")
    .filter((pid) => {
      if (!/^[0-9]+$/.test(pid)) return false;
      try {
        return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(` ${dbName} `);
      } catch {
        return false;
      }
    })
    .map(Number);
/**
 * CPU of those backends, plus that of every child the postmaster reaped
 * meanwhile (its cutime + cstime). A pool closes a connection idle for 10 s,
 * and a backend that exits mid-run would otherwise take its CPU with it,
 * reading low. Also counted: autovacuum workers that end meanwhile.
 */
const postgresCpuMs = (): number => {
  const pids = postgresPids();
  const postmaster = pids.length > 0 ? Number(procStat(pids[0]!)?.[1]) : Number.NaN;
  const reaped = procStat(postmaster);
  const reapedMs = reaped ? ((Number(reaped[13]) + Number(reaped[14])) * 1000) / 100 : 0;
  return pids.reduce((sum, pid) => sum + cpuMs(pid), reapedMs);
};

/**
 * Scheduler counters of a group of processes (their main threads), summed;
 * processes gone by the end of the run drop out of both readings.
 */
type SchedGroup = Map<number, SchedStat>;
const schedOf = (pids: readonly (number | undefined)[]): SchedGroup => {
  const m: SchedGroup = new Map();
  for (const pid of pids) {
    const s = pid === undefined ? undefined : schedStat(pid);
    if (s !== undefined && pid !== undefined) m.set(pid, s);
  }
  return m;
};
/** Share of the time runnable but waiting for a core, and the mean wait each time it got one. */
const waitedSince = (before: SchedGroup, after: SchedGroup, elapsedS: number): string => {
  let waitNs = 0;
  let slices = 0;
  let n = 0;
  for (const [pid, a] of after) {
    const b = before.get(pid);
    if (b === undefined) continue;
    waitNs += a.waitNs - b.waitNs;
    slices += a.slices - b.slices;
    n++;
  }
  if (n === 0) return "n/a";
  return `${((100 * waitNs) / 1e9 / elapsedS).toFixed(0)} % (${(waitNs / 1e6 / Math.max(1, slices)).toFixed(2)} ms a wait)`;
};

/**
 * Node flags from a space-separated env var (BENCH_*_NODE_FLAGS). On two
 * cores shared by four busy processes, V8's parallel scavenger waits for
 * helper threads that get no core. So the load generator runs with
 * --single-threaded-gc (ADR 128), and the gateway and command-service with
 * --no-parallel-scavenge, as they are deployed (ADR 131: k8s/base/apps,
 * scripts/start.ts); command-service also with
 * --no-allocation-site-pretenuring (ADR 134).
 */
const DEFAULT_FLAGS: Record<string, string> = {
  BENCH_GATEWAY_NODE_FLAGS: "--no-parallel-scavenge",
  BENCH_SERVICE_NODE_FLAGS: "--no-parallel-scavenge --no-allocation-site-pretenuring",
  BENCH_LOADGEN_NODE_FLAGS: "--single-threaded-gc",
};
const nodeFlags = (name: string): string[] =>
  (process.env[name] ?? DEFAULT_FLAGS[name] ?? "").split(" ").filter((f) => f !== "");

/**
 * The order path's scheduling policy (ADR 135): batch puts the gateway,
 * command-service and load generators under SCHED_BATCH, as scripts/start.ts
 * runs the services, and as the local Postgres runs (`npm run infra:up`).
 * Their wakeups then stop no running process mid-write. The load generator's
 * own delays still count: it reads latency from each order's due time.
 */
const SCHED = env("BENCH_SCHED", "batch");
if (SCHED !== "batch" && SCHED !== "other")
  throw new Error(`BENCH_SCHED must be batch or other, not ${SCHED}`);
/**
 * The nice value of the order path's back end, command-service and the bench
 * database's Postgres backends (ADR 137; `npm run infra:up` starts Postgres
 * at it, scripts/start.ts command-service). 0 for A/B runs. Lowering it needs
 * root: where it fails, the bench says so and goes on at what it has.
 */
const BACK_END_NICE_SET = Number(env("BENCH_NICE", String(BACK_END_NICE)));
if (!Number.isInteger(BACK_END_NICE_SET) || BACK_END_NICE_SET < -20 || BACK_END_NICE_SET > 19)
  throw new Error(`BENCH_NICE must be an integer from -20 to 19`);
const toNice = async (name: string, pids: readonly number[]) => {
  const failed = await renice(pids, BACK_END_NICE_SET);
  if (failed) console.warn(`  ${name}: not at nice ${BACK_END_NICE_SET}: ${failed.message}`);
};
const toSched = async (name: string, pid: number | undefined) => {
  if (SCHED !== "batch" || pid === undefined) return;
  const failed = await scheduleBatch([pid]);
  if (failed) throw new Error(`BENCH_SCHED=batch: ${name}: ${failed.message}; or set it to other`);
};

const start = (name: string, script: string, extra: Record<string, string>, port: number) => {
  const prof = process.env.BENCH_PROFILE_DIR;
  const flags = nodeFlags(`BENCH_${name === "gateway" ? "GATEWAY" : "SERVICE"}_NODE_FLAGS`);
  const args = [
    ...flags,
    "--import",
    GC_LOG,
    ...(prof && name === "gateway" ? ["--cpu-prof", `--cpu-prof-dir=${prof}`] : []),
    script,
  ];
  const child = spawn(process.execPath, args, {
    env: {
      ...process.env,
      BENCH_GC_LOG: gcLogOf(name),
      DATABASE_URL: dbUrl.toString(),
      SCHEMA_REGISTRY_URL,
      KAFKA_BROKERS,
      LOG_LEVEL: "warn",
      PORT: String(port),
      OTEL_TRACES_EXPORTER: "none",
      ...extra,
    },
    stdio: ["ignore", "inherit", "inherit"],
  });
  child.on("exit", (code, signal) => {
    if (!stopping) console.error(`${name} exited (${code ?? signal})`);
  });
  children.push(child);
};
const waitReady = async (port: number) => {
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200) return;
    } catch {}
    await sleep(100);
  }
  throw new Error(`port ${port} never became ready`);
};

/** The gateway's batch counters (ADR 066), from its /metrics. */
const batchCounts = async (): Promise<{ calls: number; orders: number }> => {
  const text = await fetch(`http://127.0.0.1:${GW_PORT}/metrics`)
    .then((r) => r.text())
    .catch(() => "");
  const read = (name: string) =>
    Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, "m").exec(text)?.[1] ?? 0);
  return {
    calls: read("gateway_upstream_batches_total"),
    orders: read("gateway_upstream_batched_orders_total"),
  };
};

/**
 * CPU µs for a fixed piece of work (signing 20,000 orders). On a shared
 * machine CPU time per operation inflates with the others' load (shared caches
 * and cores): compare runs by this figure too.
 */
const calibrationUs = (): number => {
  const key = createSecretKey(randomBytes(32));
  const body =
    '{"MsgType":"D","ClOrdID":"cal","Symbol":"EURUSD","Side":"1","TransactTime":"20260101-10:00:00.000","OrderQty":"1000","OrdType":"2","Price":"1.00001","TimeInForce":"1"}';
  const c0 = process.cpuUsage();
  // Node's createHmac and hash, not the gateway's signing code: the work stays
  // the same when that code gets faster (it did, ADR 112).
  for (let i = 0; i < 20_000; i++)
    createHmac("sha256", key)
      .update(`${1_790_000_000_000 + i}\nPOST\n/v1/fix\n${hash("sha256", body, "hex")}`)
      .digest("hex");
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 20_000;
};

let stopping = false;
const cleanup = async () => {
  stopping = true;
  for (const c of children) c.kill("SIGTERM");
  await Promise.all(
    children.map((c) => (c.exitCode === null ? new Promise((r) => c.once("exit", r)) : null)),
  );
  await admin.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`).catch(() => {});
  await admin.end();
  rmSync(gcDir, { recursive: true, force: true });
};
process.once("SIGINT", () => void cleanup().then(() => process.exit(130)));

try {
  const stub = UPSTREAM === "stub";
  start(
    UPSTREAM,
    new URL(
      stub ? "./stub-command-service.ts" : "../../command-service/src/main.ts",
      import.meta.url,
    ).pathname,
    { OUTBOX_RELAY: "off" },
    CS_PORT,
  );
  await waitReady(CS_PORT);
  const pool = createPgPool({
    connectionString: dbUrl.toString(),
    applicationName: "gateway-bench",
    max: 2,
  });
  const accounts = Array.from({ length: ACCOUNTS }, (_, i) => `BENCH-${i + 1}`);
  if (!stub) {
    await pool.query(
      `INSERT INTO cs_accounts (account, enabled, max_order_qty, max_notional, credit_limit)
     SELECT a, true, 50000000, 1000000000000, 1000000000000000 FROM unnest($1::text[]) AS a`,
      [accounts],
    );
  }
  await migrateKeyStore(pool);
  const keys = await Promise.all(
    accounts.map(async (a) => {
      const k = await createKey(pool, master, { accounts: [a], roles: ["trader"] });
      return { id: k.keyId, secret: Buffer.from(k.secret, "base64url") };
    }),
  );
  await pool.end();
  start(
    "gateway",
    env("BENCH_GATEWAY_SCRIPT", new URL("../src/main.ts", import.meta.url).pathname),
    {
      GATEWAY_MASTER_KEY: master.toString("base64"),
      COMMAND_SERVICE_URL: `http://127.0.0.1:${CS_PORT}`,
      GATEWAY_RATE_ORDER_PER_S: "1000000",
      GATEWAY_EXECUTIONS: "none",
      ...Object.fromEntries(
        env("BENCH_GATEWAY_ENV", "")
          .split(",")
          .filter((kv) => kv.includes("="))
          .map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]),
      ),
    },
    GW_PORT,
  );
  await waitReady(GW_PORT);
  for (const [i, c] of children.entries()) await toSched(i === 0 ? UPSTREAM : "gateway", c.pid);
  const upstreamPid = children[0]?.pid;
  if (UPSTREAM === "command-service" && upstreamPid !== undefined)
    await toNice("command-service", [upstreamPid]);
  await sleep(1_500); // command-service's risk inputs refresh every second: let it see the accounts
  // The readers used when measuring begins, once now: the first fetch compiles
  // undici (~45 ms of CPU), which would otherwise be taken from the measured
  // processes in the measurement's first window.
  await batchCounts();
  postgresCpuMs();

  const calibrationBefore = calibrationUs();
  // Load generators: child processes, so their CPU is measured apart and the
  // gateway's event loop is not shared with them.
  const loadGens = Array.from({ length: LOADGENS }, (_, i) => {
    const prof = process.env.BENCH_PROFILE_DIR;
    const child = fork(new URL("./load-generator.ts", import.meta.url).pathname, [], {
      stdio: ["ignore", "inherit", "inherit", "ipc"],
      env: { ...process.env, BENCH_GC_LOG: gcLogOf(`load-generator-${i}`) },
      execArgv: [
        ...nodeFlags("BENCH_LOADGEN_NODE_FLAGS"),
        "--import",
        GC_LOG,
        ...(prof ? ["--cpu-prof", `--cpu-prof-dir=${prof}/load-generator`] : []),
      ],
    });
    const ready = new Promise<void>((r) => child.once("message", () => r()));
    const result = new Promise<LoadResult>((r) =>
      child.on("message", (m) => {
        if (typeof m === "object") r(m as LoadResult);
      }),
    );
    const share = Math.floor(CONCURRENCY / LOADGENS) + (i < CONCURRENCY % LOADGENS ? 1 : 0);
    child.send({
      keys: keys.map((k) => ({ id: k.id, secretHex: k.secret.toString("hex") })),
      connections: share,
      rate: RATE / LOADGENS,
      rampS: RAMP_S,
      port: GW_PORT,
      prefix: `${runId}g${i}-`,
      windowMs: WINDOW_MS,
    });
    return { child, ready, result };
  });
  await Promise.all(loadGens.map((l) => l.ready));
  for (const l of loadGens) await toSched("load generator", l.child.pid);
  await sleep(WARMUP_S * 1000);
  const [upstreamChild, gatewayChild] = children;
  // The pool's connections all exist by now; later ones inherit the postmaster's nice.
  await toNice("Postgres backends", postgresPids());
  const batches0 = await batchCounts();
  const cpu0 = {
    gw: cpuMs(gatewayChild?.pid),
    gwSys: cpuMs(gatewayChild?.pid, true),
    up: cpuMs(upstreamChild?.pid),
    pg: postgresCpuMs(),
  };
  const schedGroups = () => ({
    gw: schedOf([gatewayChild?.pid]),
    up: schedOf([upstreamChild?.pid]),
    lg: schedOf(loadGens.map((l) => l.child.pid)),
    pg: schedOf(postgresPids()),
    machine: machineTicks(),
  });
  const sched0 = schedGroups();
  for (const l of loadGens) l.child.send("measure");
  const t0 = performance.now();
  await sleep(DURATION_S * 1000);
  for (const l of loadGens) l.child.send("stop");
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = {
    gw: cpuMs(gatewayChild?.pid) - cpu0.gw,
    gwSys: cpuMs(gatewayChild?.pid, true) - cpu0.gwSys,
    up: cpuMs(upstreamChild?.pid) - cpu0.up,
    pg: postgresCpuMs() - cpu0.pg,
  };
  const sched1 = schedGroups();
  const results = await Promise.all(loadGens.map((l) => l.result));
  const batches1 = await batchCounts();
  const calibrationAfter = calibrationUs();
  const histogram = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 60_000_000,
    numberOfSignificantValueDigits: 3,
  });
  const statuses: Record<string, number> = {};
  let done = 0;
  let acked = 0;
  let loadCpuUs = 0;
  let loadSysUs = 0;
  for (const r of results) {
    histogram.add(hdr.decodeFromCompressedBase64(r.histogram));
    for (const [s, n] of Object.entries(r.statuses)) statuses[s] = (statuses[s] ?? 0) + n;
    done += r.done;
    acked += r.acked;
    loadCpuUs += r.cpuUs;
    loadSysUs += r.sysUs;
  }

  const ms = (us: number) => (us / 1000).toFixed(2);
  console.log(
    `gateway bench (upstream: ${UPSTREAM}): ${RATE > 0 ? `open loop, ${RATE} orders/s offered over at most ${CONCURRENCY} connections (latency from each order's due time)` : `closed loop, ${CONCURRENCY} in flight`} from ${LOADGENS} load generator process(es), ${ACCOUNTS} accounts/keys, ${DURATION_S}s measured after ${WARMUP_S}s warm-up${RATE > 0 ? ` (the rate ramped up from 0 over its first ${RAMP_S}s)` : ""}`,
  );
  const flagsSet = ["GATEWAY", "SERVICE", "LOADGEN"]
    .map((n) => [n, nodeFlags(`BENCH_${n}_NODE_FLAGS`).join(" ")] as const)
    .filter(([, f]) => f !== "");
  if (flagsSet.length > 0)
    console.log(`  node flags: ${flagsSet.map(([n, f]) => `${n.toLowerCase()} ${f}`).join("; ")}`);
  const pgPolicies = [...new Set(postgresPids().map((pid) => schedPolicyOf(pid) ?? "unknown"))];
  console.log(
    `  scheduling (ADR 135): gateway, ${UPSTREAM} and load generator ${SCHED === "batch" ? "SCHED_BATCH" : "the default policy"} (BENCH_SCHED=${SCHED}); Postgres backends ${pgPolicies.join(", ") || "not local"}; nice (ADR 137, BENCH_NICE=${BACK_END_NICE_SET}): ${UPSTREAM} ${niceOf(upstreamChild?.pid ?? -1) ?? "?"}, Postgres backends ${[...new Set(postgresPids().map((pid) => niceOf(pid) ?? "?"))].join(", ") || "not local"}`,
  );
  console.log(
    `  throughput ${(done / elapsed).toFixed(0)} req/s (${(acked / elapsed).toFixed(0)} acked New/s), ${done} requests`,
  );
  console.log(
    `  ack latency p50 ${ms(histogram.getValueAtPercentile(50))} ms, p99 ${ms(histogram.getValueAtPercentile(99))} ms, p99.9 ${ms(histogram.getValueAtPercentile(99.9))} ms, max ${ms(histogram.maxValue)} ms`,
  );
  console.log(`  statuses ${JSON.stringify(statuses)}`);
  if (RATE > 0) {
    const unsent = results.reduce((n, r) => n + r.backlogAtStart.unsent, 0);
    const inFlight = results.reduce((n, r) => n + r.backlogAtStart.inFlight, 0);
    console.log(
      `  when measuring began: ${unsent} orders due and not yet sent, ${inFlight} in flight (a backlog left from the warm-up would be measured as latency)`,
    );
  }
  const calls = batches1.calls - batches0.calls;
  const batched = batches1.orders - batches0.orders;
  console.log(
    calls > 0
      ? `  upstream: ${calls} POST /orders/batch calls carrying ${batched} orders (${(batched / calls).toFixed(1)} per call on average)`
      : "  upstream: no batch calls (single POST /orders per order)",
  );
  const per = (ms: number) => `${((ms * 1000) / Math.max(1, done)).toFixed(0)} µs`;
  console.log(
    `  CPU per request: gateway ${per(cpu.gw)}, ${UPSTREAM} ${per(cpu.up)}, load generator ${per(loadCpuUs / 1000)}, Postgres backends ${per(cpu.pg)}`,
  );
  const kernel = (part: number, whole: number) =>
    `${((100 * part) / Math.max(1e-9, whole)).toFixed(0)} %`;
  console.log(
    `  of which in the kernel (syscalls, loopback TCP): gateway ${kernel(cpu.gwSys, cpu.gw)}, load generator ${kernel(loadSysUs, loadCpuUs)}`,
  );
  // What the measured CPU per order allows on this machine's cores, whatever the wall clock did.
  const totalUs = ((cpu.gw + cpu.up + cpu.pg + loadCpuUs / 1000) * 1000) / Math.max(1, done);
  console.log(
    `  CPU per request, all of them: ${totalUs.toFixed(0)} µs — ${availableParallelism()} idle cores would carry about ${((availableParallelism() * 1e6) / totalUs).toFixed(0)} requests/s (10,000/s needs ≤ ${((availableParallelism() * 1e6) / 10_000).toFixed(0)} µs)`,
  );
  // Cores left idle while the order path's processes queued for one: the
  // sign of work that comes in bursts, not of a machine out of CPU.
  const ticks = sched1.machine.total - sched0.machine.total;
  console.log(
    `  scheduling while measured: cores idle ${((100 * (sched1.machine.idle - sched0.machine.idle)) / Math.max(1, ticks)).toFixed(0)} % of the time; runnable but waiting for a core: gateway ${waitedSince(sched0.gw, sched1.gw, elapsed)}, ${UPSTREAM} ${waitedSince(sched0.up, sched1.up, elapsed)}, load generator ${waitedSince(sched0.lg, sched1.lg, elapsed)}, Postgres backends ${waitedSince(sched0.pg, sched1.pg, elapsed)} (main threads, /proc/<pid>/schedstat)`,
  );
  console.log(
    `  CPU speed check: signing one order took ${calibrationBefore.toFixed(1)} µs before and ${calibrationAfter.toFixed(1)} µs after the run (same work every time: scale CPU figures by it across runs)`,
  );
  const rate = acked / elapsed;
  const p99 = histogram.getValueAtPercentile(99) / 1000;
  // Open loop: sustained = the offered rate acked within 1% (the window's edges), not a backlog.
  const sustained = RATE > 0 ? RATE >= 10_000 && rate >= RATE * 0.99 : rate >= 10_000;
  console.log(
    `  target ≥ 10,000 acked orders/s with p99 < 25 ms: ${sustained && p99 < 25 ? "met" : "not met"} (${rate.toFixed(0)}/s${RATE > 0 ? ` of ${RATE} offered` : ""}, p99 ${p99.toFixed(1)} ms)`,
  );
  // The tail's shape: windows of due time, and the GC pauses of every process.
  const windowsFrom = results[0]?.windowsFrom ?? 0;
  const windows: WindowStats[] = [];
  for (const r of results)
    r.windows.forEach((w, i) => {
      const m = windows[i];
      windows[i] = m
        ? {
            sent: m.sent + w.sent,
            acked: m.acked + w.acked,
            p50Ms: Math.max(m.p50Ms, w.p50Ms),
            p99Ms: Math.max(m.p99Ms, w.p99Ms),
            maxMs: Math.max(m.maxMs, w.maxMs),
          }
        : w;
    });
  const measuredWindows = windows.slice(0, Math.floor((DURATION_S * 1000) / WINDOW_MS));
  await sleep(600); // the GC logs are written every 500 ms
  const pauses = readdirSync(gcDir).flatMap((f) =>
    readFileSync(join(gcDir, f), "utf8")
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => {
        const [at, ms, kind] = l.split(" ");
        return { proc: f.replace(/\.gc$/, ""), at: Number(at), ms: Number(ms), kind: kind ?? "" };
      })
      .filter((p) => p.at >= windowsFrom && p.at < windowsFrom + DURATION_S * 1000),
  );
  const slow = measuredWindows.filter((w) => w.p99Ms >= 25).length;
  console.log(
    `  tail: ${slow} of ${measuredWindows.length} windows of ${WINDOW_MS} ms (by due time) had p99 ≥ 25 ms; windows' p99 median ${[
      ...measuredWindows.map((w) => w.p99Ms),
    ]
      .sort((a, b) => a - b)
      [Math.floor(measuredWindows.length / 2)]?.toFixed(1)} ms`,
  );
  const procs = [...new Set(pauses.map((p) => p.proc))].sort();
  for (const proc of procs) {
    const mine = pauses.filter((p) => p.proc === proc);
    const kinds = [...new Set(mine.map((p) => p.kind))]
      .map((k) => {
        const ofKind = mine.filter((p) => p.kind === k);
        return `${ofKind.length} ${k} (${ofKind.reduce((s, p) => s + p.ms, 0).toFixed(0)} ms, max ${Math.max(...ofKind.map((p) => p.ms)).toFixed(1)})`;
      })
      .join(", ");
    console.log(`  GC in ${proc} while measured: ${kinds}`);
  }
  const worst = measuredWindows
    .map((w, i) => ({ ...w, i }))
    .sort((a, b) => b.p99Ms - a.p99Ms)
    .slice(0, 8)
    .sort((a, b) => a.i - b.i);
  for (const w of worst) {
    const from = windowsFrom + w.i * WINDOW_MS;
    const gcs = pauses
      .filter((p) => p.at + p.ms >= from && p.at < from + WINDOW_MS + w.maxMs && p.ms >= 2)
      .sort((a, b) => b.ms - a.ms)
      .slice(0, 6)
      .map((p) => `${p.proc} ${p.kind} ${p.ms.toFixed(1)} ms @+${(p.at - from).toFixed(0)}`);
    console.log(
      `    window +${((w.i * WINDOW_MS) / 1000).toFixed(1)} s: due ${w.sent}, acked ${w.acked}, p50 ${w.p50Ms.toFixed(1)} / p99 ${w.p99Ms.toFixed(1)} / max ${w.maxMs.toFixed(1)} ms; longest GC pauses ≥ 2 ms meanwhile: ${gcs.join("; ") || "none"}`,
    );
  }
  if (TRACE_DIR) {
    writeFileSync(
      join(TRACE_DIR, "windows.csv"),
      `epoch_ms,due,acked,p50_ms,p99_ms,max_ms\n${windows
        .map(
          (w, i) =>
            `${windowsFrom + i * WINDOW_MS},${w.sent},${w.acked},${w.p50Ms},${w.p99Ms},${w.maxMs}`,
        )
        .join("\n")}\n`,
    );
    writeFileSync(
      join(TRACE_DIR, "gc.csv"),
      `proc,epoch_ms,pause_ms,kind\n${pauses.map((p) => `${p.proc},${p.at},${p.ms},${p.kind}`).join("\n")}\n`,
    );
  }
  console.log(
    `  machine load average at the end: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}`,
  );
} finally {
  await cleanup();
}
