// npm run bench:eventstore — event store appends vs a bare-INSERT baseline.
//
// Workload (each scenario runs for BENCH_SECONDS, default 5, after a 1 s warm-up,
// on a fresh database of the Postgres at DATABASE_URL; default: the local infra one):
//   single   — one command = one transaction: the store appends 1 event to a
//              new stream (no-stream check) + 1 outbox row; the baseline does a
//              plain one-row INSERT of the same bytes. 16 concurrent clients.
//   batched  — group commit: the store appends BATCH commands (each a new
//              stream, 1 event + 1 outbox row) in one es_append call; the
//              baseline does one multi-row INSERT of BATCH rows. 4 concurrent clients.
// Payload: a real Avro OrderAccepted (Confluent-framed, ~110 bytes) and the
// metadata command-service writes. Baseline table: es_events's columns and indexes.
// Prints commands/s, latency percentiles (per call) and the store/baseline ratio.
import { randomUUID } from "node:crypto";
import { accountId, clOrdId, orderId, priceTicks, qty, symbol, timestampNs } from "@fxcore/domain";
import { createPgPool, type PgPool } from "@fxcore/infra";
import { frame, loadCatalog, writeBody } from "@fxcore/schemas";
import pg from "pg";
import {
  type AppendItem,
  eventId,
  migrateEventStore,
  PostgresEventStore,
  type PublishedEvent,
  streamId,
} from "../src/index.ts";
import {
  type CpuProbe,
  closedLoop,
  formatResult,
  machineLine,
  postgresCpu,
  type Result,
  rate,
  selfCpu,
} from "./measure.ts";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const BATCH = Number(process.env.BENCH_BATCH ?? 200);
const baseUrl = process.env.DATABASE_URL ?? "postgres://fxcore:fxcore@127.0.0.1:15432/fxcore";

const catalog = loadCatalog();
const payload = frame(
  1,
  writeBody(catalog, {
    meta: {
      eventId: randomUUID(),
      occurredAt: timestampNs(1_763_000_000_000_000_000n),
      correlationId: randomUUID(),
      causationId: null,
      traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
      tracestate: null,
      pairSeq: null,
      writerEpoch: null,
    },
    payload: {
      type: "OrderAccepted",
      orderId: orderId(randomUUID()),
      clOrdId: clOrdId("bench-1"),
      account: accountId("ACC-1"),
      symbol: symbol("EURUSD"),
      side: "BUY",
      ordType: "LIMIT",
      price: priceTicks(110_000),
      qty: qty(1_000_000),
      tif: "GTC",
      expireTime: null,
      minQty: null,
      postOnly: false,
      stpMode: "NONE",
      transactTime: timestampNs(1_763_000_000_000_000_000n),
    },
  }),
);
const metadata = () => ({
  correlationId: randomUUID(),
  clOrdId: "bench-1",
  account: "ACC-1",
  receivedAtNs: "1763000000000000000",
  traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
});
const event = (): PublishedEvent => ({
  eventId: eventId(randomUUID()),
  type: "OrderAccepted",
  schemaId: 1,
  schemaVersion: 1,
  payload,
  metadata: metadata(),
  publish: { topic: "fx.orders", key: "EURUSD" },
});
const item = (): AppendItem => ({
  stream: streamId(`order-${randomUUID()}`),
  expected: "no-stream",
  events: [event()],
});

interface Row {
  stream: string;
  eventId: string;
  metadata: string;
}
const row = (): Row => ({
  stream: `order-${randomUUID()}`,
  eventId: randomUUID(),
  metadata: JSON.stringify(metadata()),
});
const BASELINE_INSERT = (n: number): string => {
  const values: string[] = [];
  for (let i = 0; i < n; i++) {
    const p = i * 4;
    values.push(`($${p + 1}, 0, $${p + 2}, 'OrderAccepted', 1, 1, $${p + 3}, $${p + 4}::jsonb)`);
  }
  return `INSERT INTO bench_events (stream_id, stream_version, event_id, event_type, schema_id, schema_version, payload, metadata) VALUES ${values.join(", ")}`;
};
const baselineParams = (rows: readonly Row[]): unknown[] =>
  rows.flatMap((r) => [r.stream, r.eventId, payload, r.metadata]);

async function main(): Promise<void> {
  const dbName = `bench_es_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  // Durable commits, whatever the server's default (the local infra's is off).
  await admin.query(`ALTER DATABASE ${dbName} SET synchronous_commit = on`);
  const url = new URL(baseUrl);
  url.pathname = `/${dbName}`;
  const pool: PgPool = createPgPool({
    connectionString: url.toString(),
    applicationName: "bench-eventstore",
    max: 20,
  });
  try {
    await migrateEventStore(pool);
    // The baseline: the same columns and indexes as es_events, nothing else.
    await pool.query(
      `CREATE TABLE bench_events (LIKE es_events INCLUDING DEFAULTS INCLUDING INDEXES INCLUDING IDENTITY)`,
    );
    const store = new PostgresEventStore(pool);

    console.log(`event store benchmark — ${machineLine()}`);
    console.log(`${SECONDS} s per scenario, batch ${BATCH}, payload ${payload.length} bytes\n`);

    const probes: CpuProbe[] = [selfCpu("node"), postgresCpu("postgres", admin, dbName)];
    const run = async (
      name: string,
      clients: number,
      perCall: number,
      op: () => Promise<void>,
    ): Promise<Result> => {
      const r = await closedLoop({ name, clients, perCall, op, seconds: SECONDS, probes });
      console.log(formatResult(r));
      return r;
    };
    const baseSingle = await run("baseline single-row INSERT (16 clients)", 16, 1, async () => {
      await pool.query(BASELINE_INSERT(1), baselineParams([row()]));
    });
    const esSingle = await run("event store append, 1 per tx (16)", 16, 1, async () => {
      const r = await store.append(item().stream, "no-stream", [event()]);
      if (!r.ok) throw new Error("unexpected conflict");
    });
    const baseBatch = await run(`baseline ${BATCH}-row INSERT (4 clients)`, 4, BATCH, async () => {
      const rows = Array.from({ length: BATCH }, row);
      await pool.query(BASELINE_INSERT(BATCH), baselineParams(rows));
    });
    const esBatch = await run(`event store group commit ${BATCH} (4)`, 4, BATCH, async () => {
      const results = await store.appendBatch(Array.from({ length: BATCH }, item));
      if (results.some((r) => !r.ok)) throw new Error("unexpected conflict");
    });

    const ratio = (a: Result, b: Result) => ((rate(a) / rate(b)) * 100).toFixed(0);
    console.log(
      `\nratio store/baseline: single ${ratio(esSingle, baseSingle)}%, batched ${ratio(esBatch, baseBatch)}% (target >= 60%)`,
    );
    const events = await pool.query<{ n: string }>("SELECT count(*) AS n FROM es_outbox");
    console.log(`(stored ${events.rows[0]?.n} events, each with its outbox row)`);
    await store.close();
  } finally {
    await pool.end();
    await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await admin.end();
  }
}

await main();
