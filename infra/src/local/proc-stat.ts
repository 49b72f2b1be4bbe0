import { readFileSync } from "node:fs";

// Linux's per-process and per-thread status lines, read by the benches (CPU
// of the processes they measure) and by the scheduling helpers (policy,
// parent). One parser: the command name may itself hold spaces or parens.

/** The fields after the command name; index = field number - 3 (see proc(5)). */
const fieldsOf = (stat: string): string[] => stat.slice(stat.lastIndexOf(")") + 2).split(" ");

/** /proc/<pid>/stat's fields after the command name; undefined when the process is gone. */
export function procStat(pid: number): string[] | undefined {
  try {
    return fieldsOf(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return undefined;
  }
}

/** A thread of this process: its name and its stat fields; undefined when it is gone. */
export function taskStat(tid: string | number): { name: string; fields: string[] } | undefined {
  try {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, "utf8");
    return {
      name: stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")")),
      fields: fieldsOf(stat),
    };
  } catch {
    return undefined;
  }
}

/** utime + stime (fields 14 and 15), in clock ticks (USER_HZ, 100 on Linux). */
export const cpuTicks = (fields: readonly string[]): number =>
  Number(fields[11]) + Number(fields[12]);

/** A thread's time on a CPU and waiting for one (/proc/<pid>/schedstat: the main thread's). */
export interface SchedStat {
  /** Nanoseconds run on a CPU. */
  readonly onCpuNs: number;
  /** Nanoseconds runnable but waiting on a run queue. */
  readonly waitNs: number;
  /** Times it was given a CPU. */
  readonly slices: number;
}

/** undefined when the process is gone (or the kernel keeps no schedstats). */
export function schedStat(pid: number): SchedStat | undefined {
  try {
    const [run, wait, slices] = readFileSync(`/proc/${pid}/schedstat`, "utf8").split(" ");
    return { onCpuNs: Number(run), waitNs: Number(wait), slices: Number(slices) };
  } catch {
    return undefined;
  }
}

/** The machine's CPU time so far, all cores, in clock ticks: total and idle (idle + iowait). */
export function machineTicks(): { total: number; idle: number } {
  const v = readFileSync("/proc/stat", "utf8").split("\n", 1)[0]!.trim().split(/\s+/).slice(1, 9);
  const n = v.map(Number);
  return { total: n.reduce((s, x) => s + x, 0), idle: n[3]! + n[4]! };
}
