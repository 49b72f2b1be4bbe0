// The measuring loop shared by the write-side benchmarks (event-store's
// append bench and command-service's throughput bench; exported as
// "@fxcore/event-store/bench"). Closed loop: `clients` loops each await `op`
// back to back; after a warm-up, a window of `seconds` counts completed
// commands and records each call's latency in an HDR histogram.
//
// On a shared 2-core machine wall-clock rates swing with other load, so every
// window also reports CPU time per command of the processes involved (this
// one, a load-generator child, the Postgres backends): the figure to optimise.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { cpus, loadavg, totalmem } from "node:os";
import * as hdr from "hdr-histogram-js";
import { cpuTicks, procStat } from "@fxcore/infra/proc-stat";
import type pg from "pg";

/** CPU time of some processes across a measuring window, in µs. */
export interface CpuProbe {
  readonly name: string;
  begin(): Promise<void>;
  end(): Promise<number>;
}

const TICK_US = 1_000_000 / 100; // USER_HZ is 100 on Linux

/** utime + stime of a process from /proc, µs; 0 once it is gone. */
export const processCpuUs = (pid: number): number => {
  const fields = procStat(pid);
  return fields === undefined ? 0 : cpuTicks(fields) * TICK_US;
};

/** This process (all threads: GC, libuv pool included). */
export const selfCpu = (name: string): CpuProbe => {
  let start = 0;
  const now = () => {
    const u = process.cpuUsage();
    return u.user + u.system;
  };
  return {
    name,
    begin: async () => {
      start = now();
    },
    end: async () => now() - start,
  };
};

/** Other processes by pid (e.g. a load-generator child, a service's processes). */
export const pidCpu = (name: string, pid: number | readonly number[]): CpuProbe => {
  const pids = typeof pid === "number" ? [pid] : pid;
  const sum = () => pids.reduce((s, p) => s + processCpuUs(p), 0);
  let start = 0;
  return {
    name,
    begin: async () => {
      start = sum();
    },
    end: async () => sum() - start,
  };
};

/** A process and its children (e.g. a service that forked workers), as /proc lists them now. */
export const processTree = (pid: number): number[] => {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    try {
      const p = out[i] as number;
      const children = readFileSync(`/proc/${p}/task/${p}/children`, "utf8").trim();
      if (children !== "") out.push(...children.split(" ").map(Number));
    } catch {
      // gone, or no children file
    }
  }
  return out;
};

/**
 * The Postgres backends serving one database (same host), sampled every
 * 200 ms through the window: a backend that starts counts from its start, one
 * that exits counts up to its last sample.
 */
export const postgresCpu = (name: string, admin: pg.ClientBase, database: string): CpuProbe => {
  const first = new Map<number, number>();
  const last = new Map<number, number>();
  let timer: NodeJS.Timeout | undefined;
  let sampling: Promise<void> = Promise.resolve();
  const sample = async (initial: boolean) => {
    const { rows } = await admin.query<{ pid: number }>(
      "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
      [database],
    );
    for (const { pid } of rows) {
      const us = processCpuUs(pid);
      if (us === 0) continue;
      if (!first.has(pid)) first.set(pid, initial ? us : 0);
      last.set(pid, us);
    }
  };
  return {
    name,
    begin: async () => {
      first.clear();
      last.clear();
      await sample(true);
      timer = setInterval(() => {
        sampling = sampling.then(() => sample(false)).catch(() => {});
      }, 200);
    },
    end: async () => {
      clearInterval(timer);
      await sampling;
      await sample(false);
      let total = 0;
      for (const [pid, us] of last) total += us - (first.get(pid) ?? 0);
      return total;
    },
  };
};

/**
 * With BENCH_CPU_PROFILE=<dir>: a V8 CPU profile of this process over the
 * window, written to <dir>/<name>.cpuprofile (open in Chrome DevTools).
 * Reports no CPU time itself.
 */
export const cpuProfile = (name: string): CpuProbe => {
  const dir = process.env.BENCH_CPU_PROFILE;
  let session: Session | undefined;
  return {
    name: "",
    begin: async () => {
      if (dir === undefined || dir === "") return;
      session = new Session();
      session.connect();
      await session.post("Profiler.enable");
      await session.post("Profiler.start");
    },
    end: async () => {
      if (session === undefined || dir === undefined) return 0;
      const { profile } = await session.post("Profiler.stop");
      session.disconnect();
      session = undefined;
      mkdirSync(dir, { recursive: true });
      writeFileSync(
        `${dir}/${name.replace(/[^A-Za-z0-9.-]+/g, "_")}.cpuprofile`,
        JSON.stringify(profile),
      );
      return 0;
    },
  };
};

export interface Latency {
  readonly p50: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
}

export interface Result {
  readonly name: string;
  readonly commands: number;
  readonly seconds: number;
  /** Per call of `op`, ms. */
  readonly latencyMs: Latency;
  /** µs of CPU per command, by probe name. */
  readonly cpuPerCommand: ReadonlyMap<string, number>;
}

export const newHistogram = (): hdr.Histogram =>
  hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 60_000_000,
    numberOfSignificantValueDigits: 3,
  });

export const latencyOf = (h: hdr.Histogram): Latency => {
  const p = (q: number) => h.getValueAtPercentile(q) / 1000;
  return { p50: p(50), p99: p(99), p999: p(99.9), max: p(100) };
};

/** Loops running `op` back to back; only calls completing inside an open window count. */
export interface Loops {
  open(): void;
  close(): { seconds: number; commands: number; latencyMs: Latency };
  stop(): Promise<void>;
}

export function startLoops(clients: number, perCall: number, op: () => Promise<void>): Loops {
  const histogram = newHistogram();
  let measuring = false;
  let stopping = false;
  let commands = 0;
  let t0 = 0;
  const loop = async () => {
    while (!stopping) {
      const started = performance.now();
      await op();
      if (measuring) {
        histogram.recordValue(Math.max(1, Math.round((performance.now() - started) * 1000)));
        commands += perCall;
      }
    }
  };
  const running = Array.from({ length: clients }, loop);
  return {
    open: () => {
      measuring = true;
      t0 = performance.now();
    },
    close: () => {
      measuring = false;
      return {
        seconds: (performance.now() - t0) / 1000,
        commands,
        latencyMs: latencyOf(histogram),
      };
    },
    stop: async () => {
      stopping = true;
      await Promise.all(running);
    },
  };
}

export interface ClosedLoop {
  readonly name: string;
  /** Concurrent loops. */
  readonly clients: number;
  /** Commands one call of `op` performs. */
  readonly perCall?: number;
  readonly op: () => Promise<void>;
  readonly seconds: number;
  readonly warmupMs?: number;
  readonly probes?: readonly CpuProbe[];
}

/** Runs the closed loop in this process: warm-up, then one measured window. */
export async function closedLoop(o: ClosedLoop): Promise<Result> {
  const loops = startLoops(o.clients, o.perCall ?? 1, o.op);
  await sleep(o.warmupMs ?? 1000);
  const window = await measureWindow(o.probes ?? [], async () => {
    loops.open();
    await sleep(o.seconds * 1000);
    return loops.close();
  });
  await loops.stop();
  return { name: o.name, ...window };
}

/** Reads the probes around `body`, which returns what was done in the window. */
export async function measureWindow<T extends { commands: number }>(
  probes: readonly CpuProbe[],
  body: () => Promise<T>,
): Promise<T & { cpuPerCommand: Map<string, number> }> {
  for (const p of probes) await p.begin();
  const done = await body();
  const cpuPerCommand = new Map<string, number>();
  for (const p of probes) {
    const us = await p.end();
    if (p.name !== "") cpuPerCommand.set(p.name, us / Math.max(1, done.commands));
  }
  return { ...done, cpuPerCommand };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export const rate = (r: Result): number => r.commands / r.seconds;

/** One line: rate, latency percentiles (ms) and CPU µs per command. */
export const formatResult = (r: Result, unit = "cmd/s"): string => {
  const l = r.latencyMs;
  const f = (ms: number) => ms.toFixed(2);
  const cpu = [...r.cpuPerCommand].map(([k, v]) => `${k} ${v.toFixed(0)}`).join(", ");
  const total = [...r.cpuPerCommand.values()].reduce((a, b) => a + b, 0);
  return (
    `${r.name.padEnd(40)} ${String(Math.round(rate(r))).padStart(8)} ${unit}   ` +
    `latency ms p50 ${f(l.p50)}  p99 ${f(l.p99)}  p99.9 ${f(l.p999)}  max ${f(l.max)}` +
    (cpu === "" ? "" : `\n${"".padEnd(40)} CPU µs/cmd: ${cpu}; total ${total.toFixed(0)}`)
  );
};

/** The machine line every bench prints first. */
export const machineLine = (): string =>
  `${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.versions.node}, load ${loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")}`;
