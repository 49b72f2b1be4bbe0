// The bench's event store: one pair's session (replay/test/support/session.ts)
// with the outputs the live PartitionMatcher produces for it, every payload
// Avro-encoded by the one serde through the real registry, exactly the rows
// the event store, its outbox and projection-service's sink write (same
// streams, revisions, metadata, outbox lane/key). Generated deterministically
// and bulk-loaded with COPY, then kept: the database remembers a key of
// everything the rows depend on (event count, generator seed and version,
// the registry's schema ids), and is rebuilt only when the key changes.
import pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { type DomainEvent, REFERENCE_CATALOG } from "@fxcore/domain";
import { migrateEventStore, OUTBOX_LANES } from "@fxcore/event-store";
import { createPgPool, type PgPool } from "@fxcore/infra";
import { PartitionMatcher } from "@fxcore/matcher";
import type { Envelope, PayloadType, Serde } from "@fxcore/schemas";
import { generateInputs, metaFor, uuidFrom, WRITER_EPOCH } from "../test/support/session.ts";

/** Bump when the rows written for the same key change shape. */
const LAYOUT_VERSION = 3;
const ROWS_PER_TRANSACTION = 10_000;
const SEED = 5;
const INPUT_TYPES: readonly PayloadType[] = [
  "OrderAccepted",
  "OrderCancelRequested",
  "OrderReplaceRequested",
  "TimeAdvanced",
  "OrderRejected",
];
const OUTPUT_TYPES: readonly PayloadType[] = [
  "TradeExecuted",
  "OrderCancelled",
  "OrderReplaced",
  "OrderExpired",
  "CancelRejected",
  "ReplaceRejected",
  "OrderRejected",
];

/** The live matcher's book after an input, recorded at seeding: what a rebuild must reproduce. */
export interface Checkpoint {
  readonly inputs: number;
  readonly transactTime: bigint;
  readonly seq: number;
  readonly stateHash: string;
}

export interface BenchDb {
  readonly pool: PgPool;
  /** The book half way through the session, and at its end. */
  readonly middle: Checkpoint;
  readonly end: Checkpoint;
  /** Seconds spent seeding in this run (0: the kept database matched the key). */
  readonly seededSeconds: number;
  readonly key: string;
}

export async function openBenchDb(options: {
  readonly databaseUrl: string;
  readonly database: string;
  readonly events: number;
  readonly pair: string;
  readonly serde: Serde;
  readonly reseed: boolean;
}): Promise<BenchDb> {
  const { serde, pair, events } = options;
  // The schema ids are part of the key: a registry that lost its state gives new ids.
  const ids: string[] = [];
  for (const t of INPUT_TYPES) ids.push(`o:${t}=${await serde.register("fx.orders", t)}`);
  for (const t of OUTPUT_TYPES) ids.push(`x:${t}=${await serde.register("fx.executions", t)}`);
  const key = `v${LAYOUT_VERSION} events=${events} pair=${pair} seed=${SEED} ${ids.join(",")}`;

  const admin = new pg.Client({ connectionString: options.databaseUrl });
  await admin.connect();
  try {
    if (options.reseed)
      await admin.query(`DROP DATABASE IF EXISTS ${options.database} WITH (FORCE)`);
    const exists = await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [
      options.database,
    ]);
    if (exists.rowCount === 0) await admin.query(`CREATE DATABASE ${options.database}`);
  } finally {
    await admin.end();
  }
  const url = new URL(options.databaseUrl);
  url.pathname = `/${options.database}`;
  const pool = createPgPool({
    connectionString: url.toString(),
    applicationName: "bench-replay",
    max: 4,
    statementTimeoutMs: 1_800_000,
  });
  await migrateEventStore(pool);
  await pool.query("DROP TABLE IF EXISTS bench_meta"); // the previous layout's marker
  await pool.query(
    "CREATE TABLE IF NOT EXISTS bench_seed (key text NOT NULL, checkpoints jsonb NOT NULL)",
  );
  const have = (
    await pool.query<{ key: string; checkpoints: StoredCheckpoints }>(
      "SELECT key, checkpoints FROM bench_seed",
    )
  ).rows[0];
  if (have?.key === key)
    return { pool, seededSeconds: 0, key, ...parseCheckpoints(have.checkpoints) };

  const t0 = performance.now();
  await pool.query("TRUNCATE es_outbox, es_events, bench_seed RESTART IDENTITY");
  const { rows, middle, end } = await copySession(pool, serde, pair, events);
  // The outbox row of every command-side event: same transaction id, key = pair (as the append writes it).
  await pool.query(
    `INSERT INTO es_outbox (lane, transaction_id, global_position, topic, message_key)
     SELECT (hashtextextended($1, 0) & ${OUTBOX_LANES - 1})::smallint, transaction_id, global_position, 'fx.orders', $1
     FROM es_events WHERE stream_id <> $2 ORDER BY global_position`,
    [pair, `executions-${pair}`],
  );
  await pool.query("VACUUM (ANALYZE, FREEZE) es_events");
  await pool.query("VACUUM (ANALYZE, FREEZE) es_outbox");
  const stored: StoredCheckpoints = { middle: toJson(middle), end: toJson(end) };
  await pool.query("INSERT INTO bench_seed VALUES ($1, $2)", [key, JSON.stringify(stored)]);
  const seededSeconds = (performance.now() - t0) / 1000;
  console.log(`seeded ${events} inputs (${rows} event rows) in ${seededSeconds.toFixed(1)} s`);
  return { pool, seededSeconds, key, middle, end };
}

type CheckpointJson = { inputs: number; transactTime: string; seq: number; stateHash: string };
type StoredCheckpoints = { middle: CheckpointJson; end: CheckpointJson };
const toJson = (c: Checkpoint): CheckpointJson => ({
  ...c,
  transactTime: c.transactTime.toString(),
});
const parseCheckpoints = (s: StoredCheckpoints) => ({
  middle: { ...s.middle, transactTime: BigInt(s.middle.transactTime) },
  end: { ...s.end, transactTime: BigInt(s.end.transactTime) },
});

/** COPY text-format line for one es_events row (our values hold no tabs, newlines or backslashes). */
function line(
  stream: string,
  version: number,
  env: Envelope,
  bytes: Buffer,
  schemaVersion: number,
  metadata: string,
): string {
  return `${stream}\t${version}\t${env.meta.eventId}\t${env.payload.type}\t${bytes.readInt32BE(1)}\t${schemaVersion}\t\\\\x${bytes.toString("hex")}\t${metadata}\n`;
}

async function copySession(
  pool: PgPool,
  serde: Serde,
  pair: string,
  n: number,
): Promise<{ rows: number; middle: Checkpoint; end: Checkpoint }> {
  const matcher = new PartitionMatcher({ catalog: REFERENCE_CATALOG, writerEpoch: WRITER_EPOCH });
  const versions = new Map<string, number>();
  const schemaVersion = (t: string) => serde.catalog.current(t)?.version ?? 0;
  let rows = 0;
  let buf: string[] = [];
  let bufRows = 0;
  // One COPY (= one transaction) per ROWS_PER_TRANSACTION rows, like a stream of group commits.
  const flush = async () => {
    if (bufRows === 0) return;
    const client = await pool.connect();
    try {
      const sink = client.query(
        copyFrom(
          "COPY es_events (stream_id, stream_version, event_id, event_type, schema_id, schema_version, payload, metadata) FROM STDIN",
        ),
      );
      const done = new Promise<void>((resolve, reject) => {
        sink.on("finish", resolve);
        sink.on("error", reject);
      });
      sink.end(buf.join(""));
      await done;
    } finally {
      client.release();
    }
    rows += bufRows;
    buf = [];
    bufRows = 0;
  };
  let i = 0;
  let middle: Checkpoint | undefined;
  const checkpoint = (t: bigint): Checkpoint => {
    const engine = matcher.books().find((b) => b.symbol === pair)!.engine;
    return { inputs: i, transactTime: t, seq: engine.seq, stateHash: engine.stateHash() };
  };
  let lastTime = 0n;
  for (const { input, stream } of generateInputs({ n, pairs: [pair], seed: SEED })) {
    const event = input as DomainEvent;
    const env: Envelope = {
      meta: metaFor(uuidFrom(2, i + 1), input.transactTime, `c${i}`),
      payload: event,
    };
    const version = versions.get(stream) ?? 0;
    versions.set(stream, version + 1);
    const meta: Record<string, string> = { correlationId: env.meta.correlationId };
    if ("account" in event) meta.account = event.account;
    if ("clOrdId" in event) meta.clOrdId = event.clOrdId;
    const bytes = await serde.encode("fx.orders", env);
    buf.push(line(stream, version, env, bytes, schemaVersion(event.type), JSON.stringify(meta)));
    bufRows++;
    const outcome = matcher.apply(env);
    if (outcome.kind === "outputs") {
      for (const o of outcome.outputs) {
        const seq = Number(o.meta.pairSeq);
        const out = await serde.encode("fx.executions", o);
        buf.push(
          line(
            `executions-${pair}`,
            seq - 1,
            o,
            out,
            schemaVersion(o.payload.type),
            `{"pairSeq": ${seq}}`,
          ),
        );
        bufRows++;
      }
    }
    if (bufRows >= ROWS_PER_TRANSACTION) await flush();
    lastTime = input.transactTime;
    if (++i === Math.floor(n / 2)) middle = checkpoint(lastTime);
    if (i % 250_000 === 0) console.log(`  seeding: ${i} inputs`);
  }
  await flush();
  return { rows, middle: middle ?? checkpoint(lastTime), end: checkpoint(lastTime) };
}
