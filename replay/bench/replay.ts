// npm run bench:replay — regulator replay speed.
//
// Workload (seeded, deterministic): BENCH_EVENTS (default 1,000,000) matcher
// inputs for one pair (EURUSD) from replay/test/support/session.ts — ~74% new
// orders near the mid (limit GTC/GTD/IOC, some market), 12% cancels, 10%
// replaces, 2% command-side rejects, 2% clock ticks — and the outputs the
// live PartitionMatcher produces for them, Avro-encoded through the real
// registry and bulk-loaded into a dedicated event-store database
// (fxcore_replay_bench, kept between runs; BENCH_RESEED=1 rebuilds it).
// Measured:
//   1. book at T = the end, from Postgres: every input of the pair read
//      through the cursor, decoded and applied (= rebuilding the pair's book
//      from scratch); events/s, and per-batch (5,000 inputs) latency percentiles;
//   2. book at T = the middle of the session;
//   3. export of the pair to an Avro OCF, then the book rebuilt from the file.
// Targets: >= 200,000 events/s from Postgres, >= 1,000,000 events/s from OCF.
import { createReadStream, createWriteStream } from "node:fs";
import { once } from "node:events";
import { rm, stat } from "node:fs/promises";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import * as hdr from "hdr-histogram-js";
import pg from "pg";
import { type DomainEvent, REFERENCE_CATALOG } from "@fxcore/domain";
import { migrateEventStore } from "@fxcore/event-store";
import { createPgPool, type PgPool } from "@fxcore/infra";
import { acquireInfra } from "@fxcore/infra/local";
import { PartitionMatcher } from "@fxcore/matcher";
import { createSerde, type Envelope, type Serde } from "@fxcore/schemas";
import { bookAt, bookFromOcf, eventDecoder, exportLog, withReadSession } from "../src/index.ts";
import { generateInputs, metaFor, uuidFrom, WRITER_EPOCH } from "../test/support/session.ts";

const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const PAIR = "EURUSD";
const DB = "fxcore_replay_bench";

const infra = await acquireInfra();
const { DATABASE_URL, SCHEMA_REGISTRY_URL } = infra.settings;
const serde = createSerde({ registryUrl: SCHEMA_REGISTRY_URL });
const dbUrl = new URL(DATABASE_URL);
dbUrl.pathname = `/${DB}`;

const admin = new pg.Client({ connectionString: DATABASE_URL });
await admin.connect();
if (process.env.BENCH_RESEED === "1")
  await admin.query(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
const exists =
  (await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [DB])).rowCount === 1;
if (!exists) await admin.query(`CREATE DATABASE ${DB}`);
await admin.end();

const pool = createPgPool({
  connectionString: dbUrl.toString(),
  applicationName: "bench-replay",
  max: 4,
  statementTimeoutMs: 600_000,
});
await migrateEventStore(pool);
await pool.query("CREATE TABLE IF NOT EXISTS bench_meta (events bigint NOT NULL)");
const seeded = (await pool.query<{ events: string }>("SELECT events FROM bench_meta")).rows[0];
if (seeded === undefined || Number(seeded.events) !== EVENTS) {
  await pool.query("TRUNCATE es_outbox, es_events, bench_meta");
  const t = performance.now();
  const n = await seed(pool, serde);
  await pool.query("INSERT INTO bench_meta VALUES ($1)", [EVENTS]);
  await pool.query("VACUUM ANALYZE es_events");
  await pool.query("VACUUM ANALYZE es_outbox");
  console.log(
    `seeded ${EVENTS} inputs (+ outputs: ${n} rows) in ${((performance.now() - t) / 1000).toFixed(1)} s`,
  );
}
const counts = (
  await pool.query<{ inputs: string; outputs: string }>(
    "SELECT (SELECT count(*) FROM es_outbox) AS inputs, (SELECT count(*) FROM es_events WHERE stream_id = $1) AS outputs",
    [`executions-${PAIR}`],
  )
).rows[0]!;
console.log(`log: ${counts.inputs} inputs of ${PAIR}, ${counts.outputs} recorded outputs`);
console.log(
  `machine: ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.versions.node}; load ${loadavg()
    .map((l) => l.toFixed(1))
    .join(" ")}`,
);

const decode = eventDecoder(serde);

// 1 and 2: book at T from Postgres.
for (const [label, asOf] of [
  ["end (rebuild from scratch)", { kind: "latest" } as const],
  ["middle", { kind: "seq", seq: Math.floor(Number(counts.outputs) / 2) } as const],
] as const) {
  const h = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 60_000_000,
    numberOfSignificantValueDigits: 3,
  });
  let lastBatchAt = performance.now();
  const t0 = performance.now();
  const r = await withReadSession(pool, (s) =>
    bookAt(s, PAIR, asOf, {
      catalog: REFERENCE_CATALOG,
      decode,
      onProgress: () => {
        const now = performance.now();
        h.recordValue(Math.round((now - lastBatchAt) * 1000));
        lastBatchAt = now;
      },
    }),
  );
  const secs = (performance.now() - t0) / 1000;
  if (!r.ok) throw new Error(r.error.message);
  console.log(
    `book at ${label}: ${r.value.inputsApplied} inputs in ${secs.toFixed(2)} s = ${Math.round(r.value.inputsApplied / secs).toLocaleString("en")} events/s; ` +
      `${r.value.resting.length} resting, seq ${r.value.lastSeq}; per 5,000-input batch µs p50 ${h.getValueAtPercentile(50)} p99 ${h.getValueAtPercentile(99)} max ${h.maxValue}`,
  );
  h.destroy();
}

// 3: export to OCF, then replay from the file.
const file = join(tmpdir(), `fxcore-replay-bench-${process.pid}.avro`);
{
  const out = createWriteStream(file);
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
  const secs = (performance.now() - t0) / 1000;
  const size = (await stat(file)).size;
  console.log(
    `export to Avro OCF: ${r.value.written} events in ${secs.toFixed(2)} s = ${Math.round(r.value.written / secs).toLocaleString("en")} events/s (${(size / 2 ** 20).toFixed(0)} MiB)`,
  );
}
for (let run = 1; run <= 2; run++) {
  const t0 = performance.now();
  const r = await bookFromOcf(
    createReadStream(file, { highWaterMark: 1 << 20 }),
    PAIR,
    { kind: "latest" },
    REFERENCE_CATALOG,
  );
  const secs = (performance.now() - t0) / 1000;
  console.log(
    `book from OCF (run ${run}): ${r.records} records (${r.inputsApplied} inputs applied) in ${secs.toFixed(2)} s = ${Math.round(r.records / secs).toLocaleString("en")} events/s; seq ${r.lastSeq}`,
  );
}
await rm(file, { force: true });
await pool.end();
await infra.release();

/** Bulk-loads the session in log order: inputs with their outbox rows, each followed by its outputs. */
async function seed(pool: PgPool, serde: Serde): Promise<number> {
  const matcher = new PartitionMatcher({ catalog: REFERENCE_CATALOG, writerEpoch: WRITER_EPOCH });
  const versions = new Map<string, number>();
  let rows = 0;
  let i = 0;
  type Row = {
    stream: string;
    version: number;
    id: string;
    type: string;
    schemaId: number;
    payload: Buffer;
    meta: string;
    key: string | null;
  };
  let chunk: Row[] = [];
  const row = async (
    stream: string,
    env: Envelope,
    topic: string,
    key: string | null,
    version?: number,
  ) => {
    const bytes = await serde.encode(topic, env);
    const v = version ?? versions.get(stream) ?? 0;
    if (version === undefined) versions.set(stream, v + 1);
    chunk.push({
      stream,
      version: v,
      id: env.meta.eventId,
      type: env.payload.type,
      schemaId: bytes.readInt32BE(1),
      payload: bytes,
      meta: "{}",
      key,
    });
  };
  const flush = async () => {
    if (chunk.length === 0) return;
    const c = chunk;
    chunk = [];
    rows += c.length;
    await pool.query(
      `WITH input AS (
         SELECT * FROM unnest($1::text[], $2::bigint[], $3::uuid[], $4::text[], $5::int[], $6::bytea[], $7::jsonb[], $8::text[])
           WITH ORDINALITY AS u(stream_id, stream_version, event_id, event_type, schema_id, payload, metadata, msg_key, ord)
       ), ins AS (
         INSERT INTO es_events (stream_id, stream_version, event_id, event_type, schema_id, schema_version, payload, metadata)
         SELECT stream_id, stream_version, event_id, event_type, schema_id, 1, payload, metadata FROM input ORDER BY ord
         RETURNING global_position, event_id
       )
       INSERT INTO es_outbox (lane, topic, message_key, global_position)
       SELECT (hashtextextended(i.msg_key, 0) & 31)::smallint, 'fx.orders', i.msg_key, ins.global_position
       FROM ins JOIN input i ON i.event_id = ins.event_id WHERE i.msg_key IS NOT NULL ORDER BY ins.global_position`,
      [
        c.map((r) => r.stream),
        c.map((r) => r.version),
        c.map((r) => r.id),
        c.map((r) => r.type),
        c.map((r) => r.schemaId),
        c.map((r) => r.payload),
        c.map((r) => r.meta),
        c.map((r) => r.key),
      ],
    );
  };
  for (const { input, stream } of generateInputs({ n: EVENTS, pairs: [PAIR], seed: 5 })) {
    const env: Envelope = {
      meta: metaFor(uuidFrom(2, i + 1), input.transactTime, `c${i}`),
      payload: input as DomainEvent,
    };
    await row(stream, env, "fx.orders", PAIR);
    const outcome = matcher.apply(env);
    if (outcome.kind === "outputs") {
      for (const o of outcome.outputs)
        await row(`executions-${PAIR}`, o, "fx.executions", null, Number(o.meta.pairSeq) - 1);
    }
    if (chunk.length >= 20_000) await flush();
    if (++i % 100_000 === 0) console.log(`  seeding: ${i} inputs`);
  }
  await flush();
  return rows;
}
