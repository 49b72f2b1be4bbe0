// The /proc readers the benches and the scheduling helpers use (Linux only).
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { cpuTicks, machineTicks, procStat, schedStat } from "../../src/local/proc-stat.ts";

const linux = process.platform === "linux";

describe.runIf(linux)("proc-stat", () => {
  it("reads this process's stat fields", () => {
    const f = procStat(process.pid);
    expect(f).toBeDefined();
    expect(Number(f![1])).toBe(process.ppid); // field 4, ppid
    expect(cpuTicks(f!)).toBeGreaterThanOrEqual(0);
  });

  it("counts the CPU this process burns in its schedstat, and is undefined for a gone pid", () => {
    const before = schedStat(process.pid)!;
    const until = performance.now() + 50;
    while (performance.now() < until) {
      // busy: the kernel must count at least most of these 50 ms on a CPU
    }
    const after = schedStat(process.pid)!;
    expect(after.onCpuNs - before.onCpuNs).toBeGreaterThan(25e6);
    expect(after.slices).toBeGreaterThanOrEqual(before.slices);
    expect(after.waitNs).toBeGreaterThanOrEqual(before.waitNs);
    const gone = spawnSync("true").pid;
    expect(gone).toBeGreaterThan(0);
    expect(schedStat(gone!)).toBeUndefined();
  });

  it("reads the machine's ticks: idle within the total, both growing", async () => {
    const a = machineTicks();
    await new Promise((r) => setTimeout(r, 120));
    const b = machineTicks();
    expect(a.idle).toBeLessThanOrEqual(a.total);
    expect(b.total).toBeGreaterThan(a.total);
    expect(b.idle - a.idle).toBeLessThanOrEqual(b.total - a.total);
  });
});
