import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import {
  BACK_END_NICE,
  childPids,
  niceOf,
  renice,
  schedPolicyOf,
  scheduleBatch,
} from "../../src/local/scheduling.ts";

const procs: ChildProcess[] = [];
afterEach(() => {
  for (const p of procs.splice(0)) p.kill("SIGKILL");
});
const readCmd = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean).join(" ");
  } catch {
    return "";
  }
};
/** A shell that starts a sleeping child, so there are threads and a child process to see. */
const startTree = async (): Promise<ChildProcess> => {
  // Under the default policy whatever the runner's own.
  const p = spawn("chrt", ["--other", "0", "sh", "-c", "sleep 60 & wait"], { stdio: "ignore" });
  procs.push(p);
  await once(p, "spawn");
  for (let i = 0; i < 100 && childPids(p.pid!).length === 0; i++)
    await new Promise((r) => setTimeout(r, 20));
  return p;
};

describe.skipIf(!existsSync("/proc/self/stat"))("SCHED_BATCH for the order path (ADR 135)", () => {
  it("given a process under the default policy, when scheduled batch, then it reads batch, its children until then do not, and its later ones do", async () => {
    const p = await startTree();
    const [early] = childPids(p.pid!);
    expect(schedPolicyOf(p.pid!)).toBe("other");
    expect(await scheduleBatch([p.pid!])).toBeUndefined();
    expect(schedPolicyOf(p.pid!)).toBe("batch");
    expect(schedPolicyOf(early!)).toBe("other");

    const late = spawn("chrt", ["--other", "0", "sh", "-c", "sleep 0.5; sleep 60 & wait"], {
      stdio: "ignore",
    });
    procs.push(late);
    await once(late, "spawn");
    expect(await scheduleBatch([late.pid!])).toBeUndefined();
    let kids: number[] = [];
    for (let i = 0; i < 200 && !kids.some((k) => readCmd(k) === "sleep 60"); i++) {
      await new Promise((r) => setTimeout(r, 20));
      kids = childPids(late.pid!);
    }
    const sleeper = kids.find((k) => readCmd(k) === "sleep 60");
    expect(sleeper).toBeDefined();
    expect(schedPolicyOf(sleeper!)).toBe("batch");
  });

  it("given a pid that does not exist, then the error is returned, not thrown", async () => {
    const err = await scheduleBatch([2 ** 22 + 12345]);
    expect(err).toBeInstanceOf(Error);
    expect(schedPolicyOf(2 ** 22 + 12345)).toBeUndefined();
  });

  it("childPids lists only direct children", async () => {
    const p = await startTree();
    const kids = childPids(p.pid!);
    expect(kids).toHaveLength(1);
    expect(childPids(kids[0]!)).toEqual([]);
  });

  it("given a process at the runner's nice, when reniced to the back end's value, then it reads that value where the user may lower it, and an error comes back where not", async () => {
    const p = await startTree();
    const [child] = childPids(p.pid!);
    const base = niceOf(p.pid!)!;
    expect(base).toBe(niceOf(process.pid));
    const err = await renice([p.pid!], BACK_END_NICE);
    if (process.getuid?.() === 0) {
      expect(err).toBeUndefined();
      expect(niceOf(p.pid!)).toBe(BACK_END_NICE);
      // Only the pid named: a child already running keeps its own.
      expect(niceOf(child!)).toBe(base);
    } else if (base <= BACK_END_NICE) {
      expect(err).toBeUndefined();
    } else {
      expect(err).toBeInstanceOf(Error);
      expect(niceOf(p.pid!)).toBe(base);
    }
    // Back up to where it was: raising needs no privilege.
    expect(await renice([p.pid!], base)).toBeUndefined();
    expect(niceOf(p.pid!)).toBe(base);
  });

  it("given a pid that does not exist, then renice returns the error and niceOf knows nothing", async () => {
    expect(await renice([2 ** 22 + 12345], BACK_END_NICE)).toBeInstanceOf(Error);
    expect(niceOf(2 ** 22 + 12345)).toBeUndefined();
  });
});
