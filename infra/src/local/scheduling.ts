import { readdirSync } from "node:fs";
import { procStat } from "./proc-stat.ts";
import { run } from "./process.ts";

// One host, two cores, the whole order path on them (ADR 135). With the
// kernel's wakeup preemption, every answer that wakes the next process stops
// the one writing it mid-write; SCHED_BATCH turns that off for a process, so
// it runs until it blocks or its slice ends.

export type SchedPolicy = "other" | "batch";

/** The scheduling policy of pid's main thread (field 41), or undefined when unknown. */
export function schedPolicyOf(pid: number): SchedPolicy | "other-policy" | undefined {
  const fields = procStat(pid);
  if (fields === undefined) return undefined;
  const policy = Number(fields[41 - 3]);
  return policy === 0 ? "other" : policy === 3 ? "batch" : "other-policy";
}

/** The pids whose parent (field 4) is pid. */
export function childPids(pid: number): number[] {
  return readdirSync("/proc")
    .filter((entry) => /^[0-9]+$/.test(entry) && Number(procStat(Number(entry))?.[4 - 3]) === pid)
    .map(Number);
}

/**
 * Every thread of each pid to SCHED_BATCH; threads and processes they start
 * later inherit it. Lowering the policy needs no privilege. Needs Linux and
 * util-linux's chrt; the error is returned, for the caller to report.
 */
export const scheduleBatch = (pids: readonly number[]): Promise<Error | undefined> =>
  forEachPid(pids, "chrt", (pid) => ["--all-tasks", "--batch", "--pid", "0", pid]);

/** Runs the command once per pid, in turn; the first failure is returned, not thrown. */
async function forEachPid(
  pids: readonly number[],
  command: string,
  args: (pid: string) => string[],
): Promise<Error | undefined> {
  try {
    for (const pid of pids) await run(command, args(String(pid)), { timeoutMs: 5_000 });
    return undefined;
  } catch (e) {
    return e instanceof Error ? e : new Error(String(e));
  }
}

/**
 * The nice value of the order path's back end on one host (ADR 137):
 * command-service and the local Postgres. In the bursts that follow a commit,
 * three or four of the path's processes want the two cores at once; the back
 * end holds whole batches of orders, so it goes first.
 */
export const BACK_END_NICE = -5;

/** The nice value of pid's main thread (field 19), or undefined when gone. */
export function niceOf(pid: number): number | undefined {
  const fields = procStat(pid);
  return fields === undefined ? undefined : Number(fields[19 - 3]);
}

/**
 * Sets each pid's main thread to `nice` (on Linux, the thread the pid names;
 * processes it forks later inherit it). A negative value needs root or
 * CAP_SYS_NICE (or a raised RLIMIT_NICE): the error is returned, for the
 * caller to report. Needs util-linux's renice.
 */
export const renice = (pids: readonly number[], nice: number): Promise<Error | undefined> =>
  forEachPid(pids, "renice", (pid) => ["-n", String(nice), "-p", pid]);
