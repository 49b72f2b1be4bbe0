// npm run bench:matcher — throughput, latency and heap of the matching engine.
//
// The parent process only orchestrates: every measurement runs in a fresh
// child (node --expose-gc) so JIT state and heap never carry over.
//   throughput: RUNS children per workload; inputs generated first, then one
//               timed loop over all operations; events are appended to an
//               array released every 8,192 events (as a producer batch would
//               be); ops/s = operations / elapsed wall time. Median and best
//               reported, plus operations per CPU-second of the process
//               (process.cpuUsage: excludes time the host gave to other
//               processes, includes GC helper threads).
//   latency:    one child per workload timing every operation on its own with
//               process.hrtime.bigint() (the ~tens-of-ns timer cost is
//               included and printed separately), kept in a preallocated array
//               and put in an HDR histogram after the timed loop.
//   warm-up:    before a throughput or latency run, WARMUP operations of a
//               differently seeded mixed workload go through a throwaway
//               engine, so the timed run measures optimised code (a matcher is
//               a long-running process) rather than V8's tier-up; the timed
//               engine itself starts empty.
//   heap:       1,000,000 resting orders (the add workload), inputs dropped,
//               gc forced, then heapUsed and arrayBuffers (the engine's typed
//               arrays live outside the JS heap) measured against a baseline.
//
// Env: BENCH_RUNS (default 5), BENCH_OPS (default 1000000), BENCH_WARMUP
// (default 200000; 0 measures a cold process).

import { spawnSync } from "node:child_process";
import { cpus, loadavg, totalmem } from "node:os";
import { fileURLToPath } from "node:url";
import * as hdr from "hdr-histogram-js";
import type { MatcherInput, MatcherOutput } from "../src/events.ts";
import { createMatchingEngine } from "../src/matching/engine.ts";
import { addWorkload, BENCH_INSTRUMENT, mixedWorkload } from "./matcher-workloads.ts";

type Workload = "add" | "mixed";
type Mode = "throughput" | "latency" | "heap";

interface ChildResult {
  workload: Workload;
  mode: Mode;
  ops: number;
  events: number;
  seconds?: number;
  opsPerSec?: number;
  /** Operations per second of CPU time used by the process (robust to time-slicing on a busy host). */
  opsPerCpuSec?: number;
  p50?: number;
  p99?: number;
  p999?: number;
  max?: number;
  timerOverheadNs?: number;
  resting?: number;
  heapMB?: number;
  arrayBuffersMB?: number;
  mix?: { adds: number; cancels: number; iocs: number };
}

const OPS = Number(process.env.BENCH_OPS ?? 1_000_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 200_000);
/** Output events are appended to one array and released every BATCH events (never per op). */
const BATCH = 8192;

function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (!g) throw new Error("run with --expose-gc");
  g();
  g();
}

/** Runs a differently seeded mixed workload through a throwaway engine. */
function warmUp(out: MatcherOutput[]): void {
  const w = mixedWorkload(WARMUP, 7, 2_000);
  const engine = createMatchingEngine(BENCH_INSTRUMENT);
  for (const input of w.prefill) engine.applyInto(input, out);
  for (const input of w.ops) {
    engine.applyInto(input, out);
    if (out.length >= BATCH) out.length = 0;
  }
  out.length = 0;
}

function prepare(workload: Workload): {
  prefill: MatcherInput[];
  ops: MatcherInput[];
  mix?: ChildResult["mix"];
} {
  if (workload === "add") return { prefill: [], ops: addWorkload(OPS) };
  const w = mixedWorkload(OPS);
  return { prefill: w.prefill, ops: w.ops, mix: w.mix };
}

function child(workload: Workload, mode: Mode): ChildResult {
  if (mode === "heap") {
    gc();
    const base = process.memoryUsage();
    let inputs: MatcherInput[] | null = addWorkload(OPS);
    const engine = createMatchingEngine(BENCH_INSTRUMENT);
    const out: MatcherOutput[] = [];
    for (const input of inputs) {
      out.length = 0;
      engine.applyInto(input, out);
    }
    inputs = null;
    gc();
    const after = process.memoryUsage();
    return {
      workload,
      mode,
      ops: OPS,
      events: 0,
      resting: engine.size,
      heapMB: (after.heapUsed - base.heapUsed) / 2 ** 20,
      arrayBuffersMB: (after.arrayBuffers - base.arrayBuffers) / 2 ** 20,
    };
  }

  const { prefill, ops, mix } = prepare(workload);
  const out: MatcherOutput[] = [];
  if (WARMUP > 0) warmUp(out);
  const engine = createMatchingEngine(BENCH_INSTRUMENT);
  for (const input of prefill) {
    out.length = 0;
    engine.applyInto(input, out);
  }
  gc();
  let events = 0;
  const n = ops.length;

  if (mode === "throughput") {
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) {
      engine.applyInto(ops[i]!, out);
      // Events are kept in a batch, as a Kafka producer would, then released.
      if (out.length >= BATCH) {
        events += out.length;
        out.length = 0;
      }
    }
    events += out.length;
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpu = process.cpuUsage(c0);
    return {
      workload,
      mode,
      ops: n,
      events,
      seconds,
      opsPerSec: n / seconds,
      opsPerCpuSec: n / ((cpu.user + cpu.system) / 1e6),
      resting: engine.size,
      mix,
    };
  }

  const h = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 10_000_000_000,
    numberOfSignificantValueDigits: 3,
  });
  // Raw times go to a preallocated array (sequential writes) and into the
  // histogram after the loop: recording into the histogram's ~30k buckets
  // between operations evicted the engine's own lines and inflated the tail.
  const times = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const input = ops[i]!;
    const t0 = process.hrtime.bigint();
    engine.applyInto(input, out);
    times[i] = Number(process.hrtime.bigint() - t0);
    if (out.length >= BATCH) {
      events += out.length;
      out.length = 0;
    }
  }
  for (let i = 0; i < n; i++) h.recordValue(times[i]!);
  // Cost of the timer pair itself, for reading the percentiles.
  const th = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 1_000_000_000,
    numberOfSignificantValueDigits: 3,
  });
  for (let i = 0; i < 200_000; i++) {
    const t0 = process.hrtime.bigint();
    th.recordValue(Number(process.hrtime.bigint() - t0));
  }
  events += out.length;
  return {
    workload,
    mode,
    ops: n,
    events,
    p50: h.getValueAtPercentile(50),
    p99: h.getValueAtPercentile(99),
    p999: h.getValueAtPercentile(99.9),
    max: h.maxValue,
    timerOverheadNs: th.getValueAtPercentile(50),
    resting: engine.size,
    mix,
  };
}

function spawnChild(workload: Workload, mode: Mode): ChildResult {
  const file = fileURLToPath(import.meta.url);
  const r = spawnSync(process.execPath, ["--expose-gc", file, "--child", workload, mode], {
    encoding: "utf8",
    env: process.env,
    maxBuffer: 16 * 2 ** 20,
  });
  if (r.status !== 0) {
    throw new Error(`child ${workload}/${mode} failed (${r.status}): ${r.stderr}`);
  }
  const lines = r.stdout.trim().split("\n");
  return JSON.parse(lines[lines.length - 1]!) as ChildResult;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const fmt = (n: number): string => Math.round(n).toLocaleString("en-US");
const us = (ns: number | undefined): string => `${((ns ?? 0) / 1000).toFixed(2)} µs`;

function main(): void {
  const argv = process.argv.slice(2);
  if (argv[0] === "--child") {
    const res = child(argv[1] as Workload, argv[2] as Mode);
    process.stdout.write(`${JSON.stringify(res)}\n`);
    return;
  }
  const cpu = cpus();
  console.log(
    `matcher bench: node ${process.version}, ${cpu.length} × ${cpu[0]?.model ?? "?"}, ` +
      `${Math.round(totalmem() / 2 ** 30)} GiB, load ${loadavg()
        .map((l) => l.toFixed(2))
        .join(" ")}`,
  );
  console.log(
    `ops per run ${fmt(OPS)}, ${RUNS} throughput runs per workload, each in a fresh process ` +
      `after a warm-up of ${fmt(WARMUP)} other operations on a throwaway engine\n`,
  );
  for (const workload of ["add", "mixed"] as const) {
    const runs: ChildResult[] = [];
    for (let i = 0; i < RUNS; i++) runs.push(spawnChild(workload, "throughput"));
    const lat = spawnChild(workload, "latency");
    const rates = runs.map((r) => r.opsPerSec ?? 0);
    const first = runs[0]!;
    console.log(`${workload}:`);
    if (first.mix) {
      console.log(
        `  mix         ${fmt(first.mix.adds)} adds, ${fmt(first.mix.cancels)} cancels, ${fmt(first.mix.iocs)} IOC; ` +
          `${fmt(first.resting ?? 0)} resting at end`,
      );
    }
    console.log(
      `  throughput  ${fmt(median(rates))} ops/s median, best ${fmt(Math.max(...rates))}  (runs: ${rates.map(fmt).join(", ")})`,
    );
    const cpuRates = runs.map((r) => r.opsPerCpuSec ?? 0);
    console.log(
      `  per CPU-s   ${fmt(median(cpuRates))} ops per CPU-second, median  (runs: ${cpuRates.map(fmt).join(", ")})`,
    );
    console.log(`  events      ${fmt(first.events)} produced per run`);
    console.log(
      `  latency     p50 ${us(lat.p50)}  p99 ${us(lat.p99)}  p99.9 ${us(lat.p999)}  max ${us(lat.max)}  ` +
        `(per op, incl. timer pair ≈ ${lat.timerOverheadNs} ns)`,
    );
  }
  const heap = spawnChild("add", "heap");
  console.log(
    `\nheap: ${fmt(heap.resting ?? 0)} resting orders → JS heap +${heap.heapMB?.toFixed(1)} MB, ` +
      `typed arrays +${heap.arrayBuffersMB?.toFixed(1)} MB, total ${((heap.heapMB ?? 0) + (heap.arrayBuffersMB ?? 0)).toFixed(1)} MB`,
  );
  console.log(
    `load after: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}`,
  );
}

main();
