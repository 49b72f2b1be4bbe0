// Preloaded (`node --import …/gc-log.ts`) into the processes of bench:gateway:
// appends every GC pause of this process to BENCH_GC_LOG as
// "<epoch ms at start> <pause ms> <kind>" lines, so the bench can line the
// pauses up with its latency windows. A PerformanceObserver costs next to
// nothing (a few dozen entries a second); the lines are written every 500 ms.

import { appendFileSync } from "node:fs";
import { constants, PerformanceObserver } from "node:perf_hooks";

const file = process.env.BENCH_GC_LOG;
if (file) {
  const kinds: Record<number, string> = {
    [constants.NODE_PERFORMANCE_GC_MINOR]: "minor",
    [constants.NODE_PERFORMANCE_GC_MAJOR]: "major",
    [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: "incremental",
    [constants.NODE_PERFORMANCE_GC_WEAKCB]: "weakcb",
  };
  let lines = "";
  const write = () => {
    if (lines === "") return;
    appendFileSync(file, lines);
    lines = "";
  };
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = (e as unknown as { detail?: { kind?: number } }).detail?.kind ?? 0;
      lines += `${(performance.timeOrigin + e.startTime).toFixed(1)} ${e.duration.toFixed(2)} ${kinds[kind] ?? kind}\n`;
    }
  }).observe({ entryTypes: ["gc"] });
  setInterval(write, 500).unref();
  process.on("exit", write);
}
