// npm run bench:replay — regulator replay speed.
//
// Workload (seeded, deterministic): BENCH_EVENTS (default 1,000,000) matcher
// inputs for one pair (EURUSD) from replay/test/support/session.ts — ~74% new
// orders near the mid (limit GTC/GTD/IOC, some market), 12% cancels, 10%
// replaces, 2% command-side rejects, 2% clock ticks — and the outputs the
// live PartitionMatcher produces for them, Avro-encoded by the serde through
// the real registry and bulk-loaded (COPY) into a dedicated event-store
// database, kept between runs under a key of what the rows depend on
// (bench-db.ts; BENCH_RESEED=1 rebuilds it). The live matcher's state hash at
// the middle and at the end of the session is recorded at seeding, and every
// rebuild below must reproduce it.
// Measured (BENCH_RUNS runs each, default 3; figures of every run printed):
//   1. book at T = the end from Postgres: every input of the pair streamed
//      (COPY binary), decoded and applied through PartitionMatcher = the time
//      to rebuild one pair's book from scratch; events/s, CPU µs per event of
//      this process and of the Postgres backend, latency per 5,000 inputs;
//   2. book at T = the middle of the session (by TransactTime);
//   3. export of the pair to an Avro OCF (null codec), recoded with deflate;
//      the book rebuilt from each file (every record read, inputs applied;
//      the file read and decoded on a second thread, ADR 089); events/s =
//      inputs applied per second, as for Postgres (records/s also printed).
//      Per codec, as JMH does: BENCH_OCF_WARMUP (default 2) warm-up runs
//      first (JIT, the decode worker's start; printed, the first as the cold
//      run, not in the statistics), then BENCH_OCF_RUNS (default 5) measured
//      runs, summarised as median and best. Every run, warm-up or not, is the
//      full rebuild with its state hash checked against the live matcher's.
// Targets: >= 200,000 events/s from Postgres, >= 1,000,000 events/s from OCF.
import { once } from "node:events";
import { createReadStream, createWriteStream, existsSync } from "node:fs";
import { readFile, rename, rm, stat } from "node:fs/promises";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { createHash } from "node:crypto";
import * as hdr from "hdr-histogram-js";
import { REFERENCE_CATALOG } from "@fxcore/domain";
import { acquireInfra } from "@fxcore/infra/local";
import { createSerde } from "@fxcore/schemas";
import {
  type AsOf,
  bookAt,
  bookFromOcf,
  eventDecoder,
  exportLog,
  OCF_CODECS,
  type OcfCodec,
  recodeOcf,
  withReadSession,
} from "../src/index.ts";
import { type Checkpoint, openBenchDb } from "./bench-db.ts";

const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const OCF_WARMUP = Number(process.env.BENCH_OCF_WARMUP ?? 2);
const OCF_RUNS = Number(process.env.BENCH_OCF_RUNS ?? 5);
const PAIR = "EURUSD";
// Which measurements run: "pg" (1, 2), "ocf" (3); both by default.
const PARTS = new Set((process.env.BENCH_PARTS ?? "pg,ocf").split(","));
const DB = process.env.BENCH_DB ?? "fxcore_replay_bench";

const infra = await acquireInfra();
const { DATABASE_URL, SCHEMA_REGISTRY_URL } = infra.settings;
const serde = createSerde({ registryUrl: SCHEMA_REGISTRY_URL });
const db = await openBenchDb({
  databaseUrl: DATABASE_URL,
  database: DB,
  events: EVENTS,
  pair: PAIR,
  serde,
  reseed: process.env.BENCH_RESEED === "1",
});
const { pool } = db;
const counts = (
  await pool.query<{ inputs: string; outputs: string }>(
    "SELECT (SELECT count(*) FROM es_outbox) AS inputs, (SELECT count(*) FROM es_events WHERE stream_id = $1) AS outputs",
    [`executions-${PAIR}`],
  )
).rows[0]!;
const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(" ");
console.log(
  `log: ${counts.inputs} inputs of ${PAIR} (${db.end.inputs} generated; command-side rejects are not matcher inputs), ${counts.outputs} recorded outputs; ` +
    (db.seededSeconds > 0
      ? `seeded this run in ${db.seededSeconds.toFixed(1)} s`
      : "seeded database reused"),
);
console.log(
  `machine: ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.versions.node}; load ${load()}`,
);

const decode = eventDecoder(serde, { registryUrl: SCHEMA_REGISTRY_URL });
const CLOCK_TICKS_PER_S = 100; // USER_HZ

/** CPU seconds (user + system) of a process from /proc, e.g. the Postgres backend serving the read. */
async function cpuOf(pid: number): Promise<number> {
  // NaN when the backend is not a local process (remote Postgres): printed as such.
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => undefined);
  const f = stat?.split(") ")[1]?.split(" ");
  return f === undefined ? Number.NaN : (Number(f[11]) + Number(f[12])) / CLOCK_TICKS_PER_S;
}

function check(what: string, got: { lastSeq: number; stateHash: string }, want: Checkpoint): void {
  if (got.lastSeq !== want.seq || got.stateHash !== want.stateHash) {
    throw new Error(
      `${what}: rebuilt book (seq ${got.lastSeq}, ${got.stateHash}) differs from the live matcher's (seq ${want.seq}, ${want.stateHash})`,
    );
  }
}

/** Seconds and rates of every run of a measurement, for the summary. */
const summary = new Map<string, { secs: number[]; rates: number[] }>();
const record = (what: string, secs: number, n: number) => {
  const e = summary.get(what) ?? { secs: [], rates: [] };
  e.secs.push(secs);
  e.rates.push(n / secs);
  summary.set(what, e);
};
const unit = (what: string) => (what.includes("every record") ? "records/s" : "events/s");
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

// 1 and 2: book at T from Postgres.
const scenarios: [string, AsOf, Checkpoint][] = [
  ["end (rebuild from scratch)", { kind: "latest" }, db.end],
  ["T = middle of the session", { kind: "time", ns: db.middle.transactTime }, db.middle],
];
for (const [label, asOf, want] of PARTS.has("pg") ? scenarios : []) {
  for (let run = 1; run <= RUNS; run++) {
    const h = hdr.build({
      lowestDiscernibleValue: 1,
      highestTrackableValue: 60_000_000,
      numberOfSignificantValueDigits: 3,
    });
    let lastAt = 0;
    let pgCpu = 0;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const r = await withReadSession(pool, async (s) => {
      const pid = (await s.query<{ pid: number }>("SELECT pg_backend_pid() AS pid"))[0]!.pid;
      const pg0 = await cpuOf(pid);
      lastAt = performance.now();
      const book = await bookAt(s, PAIR, asOf, {
        catalog: REFERENCE_CATALOG,
        decode,
        onProgress: () => {
          const now = performance.now();
          h.recordValue(Math.round((now - lastAt) * 1000));
          lastAt = now;
        },
      });
      pgCpu = (await cpuOf(pid)) - pg0;
      return book;
    });
    const secs = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    if (!r.ok) throw new Error(r.error.message);
    check(`book at ${label}`, r.value, want);
    const n = r.value.inputsApplied;
    record(`book at ${label} from Postgres`, secs, n);
    console.log(
      `book at ${label}, run ${run}: ${n.toLocaleString("en")} inputs in ${secs.toFixed(2)} s = ${Math.round(n / secs).toLocaleString("en")} events/s; ` +
        `CPU per event: replay ${((cpu.user + cpu.system) / n).toFixed(2)} µs, Postgres backend ${((pgCpu * 1e6) / n).toFixed(2)} µs; ` +
        `per 5,000 inputs µs p50 ${h.getValueAtPercentile(50)} p99 ${h.getValueAtPercentile(99)} max ${h.maxValue}; ` +
        `seq ${r.value.lastSeq}, ${r.value.resting.length} resting, state hash = live; load ${load()}`,
    );
    h.destroy();
  }
}
if (PARTS.has("pg"))
  console.log(
    `decoders: schema ids ${decode.payloads.stats.compiled.join(", ")} compiled, ${decode.payloads.stats.serde.join(", ") || "none"} left to the serde`,
  );

// 3: export to OCF (kept next to the database key: exporting is not what is measured), then replay from the file.
const cacheDir = process.env.BENCH_OCF_DIR ?? tmpdir();
const stem = join(
  cacheDir,
  `fxcore-replay-bench-${createHash("sha256").update(db.key).digest("hex").slice(0, 12)}`,
);
const files = new Map<OcfCodec, string>(OCF_CODECS.map((c) => [c, `${stem}-${c}.avro`]));
if (!existsSync(files.get("null")!)) {
  const tmp = `${files.get("null")!}.part`;
  const out = createWriteStream(tmp);
  const t0 = performance.now();
  const r = await withReadSession(pool, (s) =>
    exportLog(s, {
      format: "avro",
      filter: { pair: PAIR },
      decode,
      catalog: serde.catalog,
      sink: async (chunk) => {
        if (!out.write(chunk)) await once(out, "drain");
      },
    }),
  );
  out.end();
  await once(out, "close");
  if (!r.ok) throw new Error(r.error.message);
  await rename(tmp, files.get("null")!);
  const secs = (performance.now() - t0) / 1000;
  console.log(
    `export to Avro OCF: ${r.value.written} events in ${secs.toFixed(2)} s = ${Math.round(r.value.written / secs).toLocaleString("en")} events/s`,
  );
}
if (!existsSync(files.get("deflate")!)) {
  const tmp = `${files.get("deflate")!}.part`;
  await recodeOcf(createReadStream(files.get("null")!), createWriteStream(tmp), "deflate");
  await rename(tmp, files.get("deflate")!);
}
for (const codec of PARTS.has("ocf") ? OCF_CODECS : []) {
  const file = files.get(codec)!;
  console.log(`OCF ${codec}: ${((await stat(file)).size / 2 ** 20).toFixed(0)} MiB (${file})`);
  for (let run = 1 - OCF_WARMUP; run <= OCF_RUNS; run++) {
    const cpu0 = process.cpuUsage();
    const main0 = process.threadCpuUsage();
    const t0 = performance.now();
    // A file path: read, inflated and decoded on a second thread, applied on this one (ADR 089).
    const r = await bookFromOcf(file, PAIR, { kind: "latest" }, REFERENCE_CATALOG);
    const secs = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const main = process.threadCpuUsage(main0);
    check(`book from OCF (${codec})`, r, db.end);
    // Counted like the Postgres figure: matcher inputs applied per second (the file's other records are read and skipped).
    const warm = run <= 0;
    if (warm && run === 1 - OCF_WARMUP)
      record(
        `book from OCF, codec ${codec}, first warm-up run${codec === OCF_CODECS[0] ? " (cold: JIT, decode worker start)" : ""}`,
        secs,
        r.inputsApplied,
      );
    if (!warm) {
      record(`book from OCF, codec ${codec}`, secs, r.inputsApplied);
      record(`book from OCF, codec ${codec}, every record of the file`, secs, r.records);
    }
    const us = (c: { user: number; system: number }) => c.user + c.system;
    const which = warm
      ? `warm-up ${run + OCF_WARMUP} of ${OCF_WARMUP}${run === 1 - OCF_WARMUP && codec === OCF_CODECS[0] ? " (cold)" : ""}`
      : `measured run ${run} of ${OCF_RUNS}`;
    console.log(
      `book from OCF, codec ${r.codec}, ${r.reader} reader, ${r.threads}${r.workerStarted === true ? " (decode worker started by this run)" : r.workerStarted === false ? " (decode worker kept from the previous run)" : ""}, ${which}: ${r.inputsApplied.toLocaleString("en")} inputs applied in ${secs.toFixed(2)} s = ${Math.round(r.inputsApplied / secs).toLocaleString("en")} events/s ` +
        `(${r.records.toLocaleString("en")} records read = ${Math.round(r.records / secs).toLocaleString("en")} records/s); ` +
        `CPU per input: engine thread ${(us(main) / r.inputsApplied).toFixed(2)} µs, decode thread ${r.workerCpuMicros === undefined ? "–" : (r.workerCpuMicros / r.inputsApplied).toFixed(2)} µs, process ${(us(cpu) / r.inputsApplied).toFixed(2)} µs; state hash = live; load ${load()}`,
    );
  }
}
console.log(
  `summary (Postgres: ${RUNS} runs each; OCF: median and best of ${OCF_RUNS} measured runs per codec after ${OCF_WARMUP} warm-up runs, the cold run shown apart; load now ${load()}):`,
);
for (const [what, { secs, rates }] of summary) {
  if (what.includes("first warm-up run")) {
    console.log(
      `  ${what}: ${Math.round(rates[0]!).toLocaleString("en")} ${unit(what)} (${secs[0]!.toFixed(2)} s; not in the statistics)`,
    );
    continue;
  }
  console.log(
    `  ${what}: best ${Math.round(Math.max(...rates)).toLocaleString("en")} ${unit(what)}, median ${Math.round(median(rates)).toLocaleString("en")} ${unit(what)} (${Math.min(...secs).toFixed(2)} s / ${median(secs).toFixed(2)} s)`,
  );
}
const scratch = summary.get("book at end (rebuild from scratch) from Postgres")?.secs;
if (scratch !== undefined)
  console.log(
    `  time to rebuild one pair's book from scratch (${db.end.inputs.toLocaleString("en")} inputs, from Postgres): best ${Math.min(...scratch).toFixed(2)} s, median ${median(scratch).toFixed(2)} s`,
  );
if (process.env.BENCH_KEEP_OCF !== "1")
  for (const f of files.values()) await rm(f, { force: true });
await pool.end();
await infra.release();
