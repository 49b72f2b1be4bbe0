// npm run bench:projection — projection throughput and order-to-visible latency.
//
// Workload: a scripted session from the domain's matching engine over EURUSD
// and USDJPY, four accounts (limit/market/IOC orders, ~15% cancels): each
// input's OrderAccepted/OrderCancelRequested goes to fx.orders, the engine's
// outputs to fx.executions (Avro via the registry, 4 partitions each, keyed by
// pair). The projection runs in this process exactly as in the service:
// read_committed consumer, one Postgres transaction per batch with the read
// models, offsets, processed-event set, event-store sink and audit chain.
//   1. catch-up: BENCH_CATCHUP_ORDERS inputs published first, then the
//      consumer starts; events/s = events / (last commit − start).
//   2. live: BENCH_RATE inputs/s for BENCH_SECONDS; order-to-visible = time
//      from the producer's send of an OrderAccepted to the commit of the batch
//      that applied it (HDR histogram, ms).
// Real local infra (npm run infra:up); env KAFKA_BROKERS, SCHEMA_REGISTRY_URL,
// DATABASE_URL default to its ports. A fresh database per phase, dropped after.
import { cpus, loadavg, totalmem } from "node:os";
import { migrateEventStore, PostgresEventStore } from "@fxcore/event-store";
import {
  createKafka,
  createPgPool,
  createProducer,
  deleteTopics,
  ensureTopics,
  type PgPool,
} from "@fxcore/infra";
import { createSerde } from "@fxcore/schemas";
import * as hdr from "hdr-histogram-js";
import pg from "pg";
import { decodeWith } from "../src/consumer/decode.ts";
import { startProjectionConsumer } from "../src/consumer/projection-consumer.ts";
import type { EventEnvelope } from "../src/models/envelope.ts";
import { pairLookup } from "../src/reference-pairs.ts";
import { migrateProjection } from "../src/store/migrate.ts";
import { scriptedSession } from "../test/session.ts";

const KAFKA = process.env.KAFKA_BROKERS ?? "127.0.0.1:19092";
const REGISTRY = process.env.SCHEMA_REGISTRY_URL ?? "http://127.0.0.1:18081/apis/ccompat/v7";
const ADMIN_DB = process.env.DATABASE_URL ?? "postgres://fxcore:fxcore@127.0.0.1:15432/fxcore";
const CATCHUP_ORDERS = Number(process.env.BENCH_CATCHUP_ORDERS ?? 20_000);
const RATE = Number(process.env.BENCH_RATE ?? 5_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const suffix = Date.now().toString(36);

const kafka = createKafka({ brokers: KAFKA, clientId: "bench-projection" });
const serde = createSerde({ registryUrl: REGISTRY });
const producer = await createProducer(kafka);

const admin = async (sql: string) => {
  const c = new pg.Client({ connectionString: ADMIN_DB });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
};

interface Phase {
  pool: PgPool;
  orders: string;
  executions: string;
  cleanup(): Promise<void>;
}
const phase = async (name: string): Promise<Phase> => {
  const db = `proj_bench_${name}_${suffix}`;
  await admin(`CREATE DATABASE ${db}`);
  const url = new URL(ADMIN_DB);
  url.pathname = `/${db}`;
  const pool = createPgPool({
    connectionString: url.toString(),
    applicationName: "bench-projection",
    max: 4,
  });
  await migrateEventStore(pool);
  await migrateProjection(pool);
  const orders = `fx.orders.bench-${name}-${suffix}`;
  const executions = `fx.executions.bench-${name}-${suffix}`;
  return {
    pool,
    orders,
    executions,
    async cleanup() {
      await pool.end();
      await admin(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    },
  };
};

type Encoded = { topic: string; key: string; value: Buffer; env: EventEnvelope };
const encodeAll = async (p: Phase, events: readonly EventEnvelope[]): Promise<Encoded[]> =>
  Promise.all(
    events.map(async (e) => {
      const matcher = e.position === null;
      const topic = matcher ? p.executions : p.orders;
      const value = await serde.encode(topic, {
        meta: {
          eventId: e.eventId,
          occurredAt: (e.event as { transactTime: bigint }).transactTime as never,
          correlationId: e.eventId,
          causationId: null,
          traceparent: null,
          tracestate: null,
          pairSeq: matcher ? ((e.event as { seq: number }).seq as never) : null,
          writerEpoch: null,
        },
        payload: e.event,
      });
      return { topic, key: (e.event as { symbol: string }).symbol, value, env: e };
    }),
  );

const send = async (p: Phase, chunk: readonly Encoded[]) => {
  for (const topic of [p.orders, p.executions]) {
    const records = chunk
      .filter((c) => c.topic === topic)
      .map((c) => ({ key: c.key, value: c.value }));
    if (records.length) await producer.send(topic, records);
  }
};

const consume = (p: Phase, onCommitted: (ids: readonly string[], size: number) => void) =>
  startProjectionConsumer({
    kafka,
    pool: p.pool,
    groupId: `bench-projection-${suffix}-${p.orders}`,
    topics: [p.orders, p.executions],
    decode: decodeWith(serde),
    projector: {
      schema: "rm_v1",
      pairs: pairLookup(),
      eventStore: new PostgresEventStore(p.pool),
      audit: true,
    },
    onBatch: (b) => onCommitted(b.result.eventIds, b.size),
  });

// Topics of both phases up front: a producer that saw topics deleted mid-run trips over fresh ones.
const topicNames = ["catchup", "live"].flatMap((n) => [
  `fx.orders.bench-${n}-${suffix}`,
  `fx.executions.bench-${n}-${suffix}`,
]);
await ensureTopics(
  kafka,
  topicNames.map((name) => ({ name, partitions: 4, replicationFactor: 1 })),
);

const count = (inputs: number, tag: number) => scriptedSession(inputs, 31 + tag, tag);

console.log(
  `machine: ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}; load before: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")}`,
);

// ---- 1. catch-up ----
{
  const p = await phase("catchup");
  const events = count(CATCHUP_ORDERS, 1);
  const encoded = await encodeAll(p, events);
  for (let i = 0; i < encoded.length; i += 1_000) await send(p, encoded.slice(i, i + 1_000));
  let applied = 0;
  let batches = 0;
  let lastCommit = 0;
  let t0 = performance.now();
  const c = await consume(p, (ids) => {
    applied += ids.length;
    batches++;
    lastCommit = performance.now();
  });
  await c.joined;
  const joinedAfter = performance.now() - t0;
  t0 = performance.now();
  const appliedAtJoin = applied;
  while (applied < events.length) await new Promise((r) => setTimeout(r, 50));
  const secs = (lastCommit - t0) / 1000;
  console.log(
    `catch-up: ${events.length} events (${CATCHUP_ORDERS} inputs); group join ${joinedAfter.toFixed(0)} ms, then ${events.length - appliedAtJoin} events in ${secs.toFixed(2)} s = ${Math.round((events.length - appliedAtJoin) / secs)} events/s; ${batches} batches, ${Math.round(events.length / batches)} events/batch`,
  );
  await c.stop();
  await p.cleanup();
}

// ---- 2. live at RATE inputs/s ----
{
  const p = await phase("live");
  const total = RATE * SECONDS;
  const events = count(total, 2);
  const encoded = await encodeAll(p, events);
  const sentAt = new Map<string, number>();
  const h = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 120_000,
    numberOfSignificantValueDigits: 3,
  });
  let applied = 0;
  const c = await consume(p, (ids) => {
    const now = performance.now();
    applied += ids.length;
    for (const id of ids) {
      const t = sentAt.get(id);
      if (t !== undefined) h.recordValue(Math.max(1, Math.round(now - t)));
    }
  });
  await c.joined;
  // group the session's events by input: an input and its matcher outputs go out together
  const perInput: Encoded[][] = [];
  for (const e of encoded) {
    if (e.env.position !== null) perInput.push([e]);
    else perInput.at(-1)?.push(e);
  }
  const tickMs = 20;
  const perTick = Math.max(1, Math.round((RATE * tickMs) / 1000));
  const start = performance.now();
  let behind = 0;
  for (let i = 0, tick = 0; i < perInput.length; i += perTick, tick++) {
    const due = start + tick * tickMs;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    else behind++;
    const chunk = perInput.slice(i, i + perTick).flat();
    const now = performance.now();
    for (const e of chunk) if (e.env.event.type === "OrderAccepted") sentAt.set(e.env.eventId, now);
    await send(p, chunk);
  }
  const sendSecs = (performance.now() - start) / 1000;
  const deadline = performance.now() + 120_000;
  while (applied < events.length && performance.now() < deadline)
    await new Promise((r) => setTimeout(r, 50));
  console.log(
    `live: ${total} inputs (${events.length} events) offered at ${RATE}/s, sent in ${sendSecs.toFixed(2)} s (${Math.round(total / sendSecs)} inputs/s achieved, producer late on ${behind} ticks); applied ${applied}/${events.length}`,
  );
  console.log(
    `order-to-visible (OrderAccepted send → batch commit), ${h.totalCount} orders: p50 ${h.getValueAtPercentile(50)} ms, p90 ${h.getValueAtPercentile(90)} ms, p99 ${h.getValueAtPercentile(99)} ms, max ${h.maxValue} ms`,
  );
  await c.stop();
  await p.cleanup();
}
console.log(
  `load after: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")}`,
);
await producer.disconnect();
await deleteTopics(kafka, topicNames).catch(() => {});
