// What ops watch on the projection: lag per partition, batch sizes, events/s.
import { Counter, Gauge, Histogram, type Registry } from "@fxcore/infra";

export const projectionMetrics = (registry: Registry) => {
  const lag = new Gauge({
    name: "fx_projection_lag",
    help: "Records between the projection's position and the partition's high watermark",
    labelNames: ["topic", "partition"],
    registers: [registry],
  });
  const batchSize = new Histogram({
    name: "fx_projection_batch_size",
    help: "Records per projected batch (one Postgres transaction)",
    buckets: [1, 5, 10, 50, 100, 500, 1000, 5000],
    registers: [registry],
  });
  const events = new Counter({
    name: "fx_projection_events_total",
    help: "Events applied to the read models (duplicates excluded)",
    labelNames: ["topic"],
    registers: [registry],
  });
  const duplicates = new Counter({
    name: "fx_projection_duplicates_total",
    help: "Redelivered events skipped by event id",
    registers: [registry],
  });
  const problems = new Counter({
    name: "fx_projection_problems_total",
    help: "Events whose changes could not be fully projected (see logs)",
    registers: [registry],
  });
  // events/s over a sliding 10 s window, for dashboards without PromQL rate().
  const window: { at: number; n: number }[] = [];
  const rate = new Gauge({
    name: "fx_projection_events_per_second",
    help: "Events applied per second over the last 10 s",
    registers: [registry],
    collect() {
      const now = Date.now();
      while (window.length && (window[0]?.at ?? 0) < now - 10_000) window.shift();
      this.set(window.reduce((s, w) => s + w.n, 0) / 10);
    },
  });
  return {
    lag,
    batchSize,
    events,
    duplicates,
    problems,
    rate,
    /** One partition's share of a committed batch. */
    recordPartition(topic: string, partition: number, applied: number, lagNow: bigint) {
      lag.set({ topic, partition: String(partition) }, Number(lagNow));
      events.inc({ topic }, applied);
      window.push({ at: Date.now(), n: applied });
    },
    /** A committed batch (one Postgres transaction, possibly several partitions). */
    recordBatch(size: number, dup: number) {
      batchSize.observe(size);
      if (dup) duplicates.inc(dup);
    },
  };
};
