// Diagnostic: Postgres CPU per batch and per event of the projection's reads
// and writes at a given batch size, without Kafka: the bench's scripted
// session through prepareBatch + commitBatch one batch after another (the
// consumer's InFlight overlay), on a fresh database. Small batches show the
// fixed cost per batch (statements parsed and planned, COPY set-up, commit),
// the live phase's regime; large ones the cost per event.
// Env BENCH_CATCHUP_ORDERS (inputs, default 5000), BATCH (events per batch,
// default 100), DATABASE_URL (admin database of the local infra).
import { migrateEventStore, PostgresEventStore } from "@fxcore/event-store";
import { createPgPool, createScratchDatabase } from "@fxcore/infra";
import { cpuTicks, procStat } from "@fxcore/infra/proc-stat";
import pg from "pg";
import {
  commitBatch,
  type InFlight,
  type PreparedBatch,
  prepareBatch,
} from "../src/projector/project-batch.ts";
import { pairLookup } from "../src/reference-pairs.ts";
import { migrateProjection } from "../src/store/migrate.ts";
import { scriptedSession } from "../test/session.ts";

const ADMIN_DB = process.env.DATABASE_URL ?? "postgres://fxcore:fxcore@127.0.0.1:15432/fxcore";
const N = Number(process.env.BENCH_CATCHUP_ORDERS ?? 5_000);
const BATCH = Number(process.env.BATCH ?? 100);
const db = `proj_commitcpu_${Date.now().toString(36)}`;
const admin = async (sql: string) => {
  const c = new pg.Client({ connectionString: ADMIN_DB });
  await c.connect();
  try {
    return await c.query(sql);
  } finally {
    await c.end();
  }
};
const scratch = await createScratchDatabase(ADMIN_DB, db);
const pool = createPgPool({
  connectionString: scratch.url,
  applicationName: "commit-cpu",
  max: 2,
});
try {
  await migrateEventStore(pool);
  await migrateProjection(pool);
  const payload = Buffer.alloc(180, 1);
  const events = scriptedSession(N, 33, 3).map((envelope) => ({
    envelope,
    raw: { value: payload, schemaId: 1, schemaVersion: 1 },
  }));
  const opts = {
    schema: "rm_v1",
    pairs: pairLookup(),
    audit: process.env.AUDIT !== "0",
    ...(process.env.SINK === "0" ? {} : { eventStore: new PostgresEventStore(pool) }),
  };
  const backendCpu = async () => {
    const { rows } = await admin(
      `SELECT pid FROM pg_stat_activity WHERE datname = '${db}' AND application_name = 'commit-cpu'`,
    );
    let s = 0;
    for (const { pid } of rows as { pid: number }[]) {
      const f = procStat(pid);
      if (f !== undefined) s += cpuTicks(f) / 100;
    }
    return s;
  };
  // Warm-up: the first tenth (JIT, plan caches), then the measured rest.
  const warm = Math.floor(events.length / 10);
  let inFlight: InFlight | undefined;
  const run = async (from: number, to: number) => {
    let batches = 0;
    let mark = { at: from, pg: await backendCpu() };
    for (let i = from; i < to; i += BATCH) {
      if (process.env.STEPS && i - mark.at >= (to - from) / 4) {
        const pgNow = await backendCpu();
        console.log(
          `  events ${mark.at}-${i}: Postgres ${(((pgNow - mark.pg) * 1e6) / (i - mark.at)).toFixed(1)} µs per event`,
        );
        mark = { at: i, pg: pgNow };
      }
      const p: PreparedBatch = await prepareBatch(
        pool,
        opts,
        { source: null, events: events.slice(i, Math.min(i + BATCH, to)) },
        inFlight,
      );
      await commitBatch(pool, p);
      inFlight = p.inFlight;
      batches++;
    }
    return batches;
  };
  await run(0, warm);
  const pg0 = await backendCpu();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const batches = await run(warm, events.length);
  const secs = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const pgSecs = (await backendCpu()) - pg0;
  const n = events.length - warm;
  console.log(
    `batch ${BATCH}: ${n} events in ${batches} batches, ${secs.toFixed(2)} s; Postgres ${((pgSecs * 1e6) / n).toFixed(1)} µs per event (${((pgSecs * 1e3) / batches).toFixed(2)} ms per batch), process ${((cpu.user + cpu.system) / n).toFixed(1)} µs per event`,
  );
  // Where rows are read by scans (a statement whose cost grows with its table shows here).
  const { rows: scans } = await pool.query(
    `SELECT schemaname || '.' || relname AS t, seq_scan, seq_tup_read, idx_scan, n_live_tup
     FROM pg_stat_user_tables WHERE seq_tup_read > 0 ORDER BY seq_tup_read DESC LIMIT 6`,
  );
  for (const r of scans)
    console.log(
      `  ${r.t}: ${r.seq_scan} seq scans reading ${r.seq_tup_read} rows, ${r.idx_scan} index scans, ${r.n_live_tup} rows`,
    );
} finally {
  // The database goes whatever else fails on the way out.
  await pool.end().catch(() => {});
  await scratch.drop();
}
