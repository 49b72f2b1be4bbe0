import { readdirSync, readFileSync } from "node:fs";
import { run } from "./process.ts";

// One host, two cores, the whole order path on them (ADR 135). With the
// kernel's wakeup preemption, every answer that wakes the next process stops
// the one writing it mid-write; SCHED_BATCH turns that off for a process, so
// it runs until it blocks or its slice ends.

export type SchedPolicy = "other" | "batch";

/** The scheduling policy of pid's main thread (field 41 of /proc/pid/stat), or undefined when unknown. */
export function schedPolicyOf(pid: number): SchedPolicy | "other-policy" | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name, which may itself hold spaces or parens.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const policy = Number(fields[41 - 3]);
    return policy === 0 ? "other" : policy === 3 ? "batch" : "other-policy";
  } catch {
    return undefined;
  }
}

/** The pids whose parent is pid. */
export function childPids(pid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^[0-9]+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === pid) out.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/**
 * Every thread of each pid to SCHED_BATCH; threads and processes they start
 * later inherit it. Lowering the policy needs no privilege. Needs Linux and
 * util-linux's chrt; the error is returned, for the caller to report.
 */
export async function scheduleBatch(pids: readonly number[]): Promise<Error | undefined> {
  try {
    for (const pid of pids)
      await run("chrt", ["--all-tasks", "--batch", "--pid", "0", String(pid)], {
        timeoutMs: 5_000,
      });
    return undefined;
  } catch (e) {
    return e instanceof Error ? e : new Error(String(e));
  }
}
