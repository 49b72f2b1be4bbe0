// What the projection's integration tests share: a migrated database, session
// events encoded as the matcher and the outbox relay would put them on the
// topics (topic-records.ts, also used by bench:projection), polling helpers.
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { migrateEventStore, PostgresEventStore } from "@fxcore/event-store";
import {
  createKafka,
  createPgPool,
  createProducer,
  type FxProducer,
  type Kafka,
  type PgPool,
} from "@fxcore/infra";
import {
  createTestDatabase,
  createTestTopics,
  infraSettings,
  type TestDatabase,
  type TestTopics,
} from "@fxcore/infra/testing";
import { createSerde, type Serde } from "@fxcore/schemas";
import { decodeWith } from "../src/consumer/decode.ts";
import {
  type ProjectionConsumerOptions,
  startProjectionConsumer,
} from "../src/consumer/projection-consumer.ts";
import type { EventEnvelope } from "../src/models/envelope.ts";
import { migrateProjection } from "../src/store/migrate.ts";
import { pairs } from "./fixtures.ts";
import { encodeEvent } from "./topic-records.ts";

export interface ProjectionDatabase {
  readonly db: TestDatabase;
  readonly pool: PgPool;
  close(): Promise<void>;
}

/** A fresh database with the event store and the projection's schema (unless `migrate: false`). */
export const projectionDatabase = async (
  name: string,
  options: { readonly migrate?: boolean } = {},
): Promise<ProjectionDatabase> => {
  const db = await createTestDatabase(name);
  const pool = createPgPool({ connectionString: db.url, applicationName: `${name}-it` });
  if (options.migrate !== false) {
    await migrateEventStore(pool);
    await migrateProjection(pool);
  }
  return {
    db,
    pool,
    async close() {
      await pool.end();
      await db.drop();
    },
  };
};

/** What a consumer-level integration test runs against: its database, topics, a producer and a serde. */
export interface ProjectionKafka {
  readonly database: ProjectionDatabase;
  readonly topics: TestTopics<"fx.orders" | "fx.executions" | "fx.dlq">;
  readonly kafka: Kafka;
  readonly producer: FxProducer;
  readonly serde: Serde;
  close(): Promise<void>;
}

/**
 * A fresh database (see projectionDatabase), fresh `fx.orders` and
 * `fx.executions` of 2 partitions each and an `fx.dlq`, a connected producer
 * and a registry serde. `close()` undoes it all.
 */
export const projectionKafka = async (
  name: string,
  clientId: string,
  options: { readonly migrate?: boolean } = {},
): Promise<ProjectionKafka> => {
  const database = await projectionDatabase(name, options);
  const topics = await createTestTopics({
    "fx.orders": { partitions: 2 },
    "fx.executions": { partitions: 2 },
    "fx.dlq": {},
  });
  const kafka = createKafka({ brokers: infraSettings().KAFKA_BROKERS, clientId });
  const producer = await createProducer(kafka);
  const serde = createSerde({ registryUrl: infraSettings().SCHEMA_REGISTRY_URL });
  return {
    database,
    topics,
    kafka,
    producer,
    serde,
    async close() {
      await producer.disconnect();
      await topics.delete().catch(() => {});
      await database.close();
    },
  };
};

/** Each event encoded and sent on its own, in order, on the fixture's topics. */
export const publishEach = async (
  fixture: ProjectionKafka,
  events: readonly EventEnvelope[],
): Promise<void> => {
  const { topics, serde, producer } = fixture;
  const names = { orders: topics.names["fx.orders"], executions: topics.names["fx.executions"] };
  for (const e of events) {
    const r = await encodeEvent(serde, names, e);
    await producer.send(r.topic, [{ key: r.key, value: r.value }]);
  }
};

/**
 * The projection consumer in process on the fixture: both topics, its DLQ,
 * rm_v1 with the event-store sink and the audit trail, records decoded
 * through the registry; `more` adds or overrides options.
 */
export const startFixtureConsumer = (
  fixture: ProjectionKafka,
  groupId: string,
  more: Partial<ProjectionConsumerOptions> = {},
) => {
  const { kafka, topics, serde } = fixture;
  const { pool } = fixture.database;
  return startProjectionConsumer({
    kafka,
    pool,
    groupId,
    topics: [topics.names["fx.orders"], topics.names["fx.executions"]],
    dlqTopic: topics.names["fx.dlq"],
    decode: decodeWith(serde, { registryUrl: infraSettings().SCHEMA_REGISTRY_URL }),
    projector: { schema: "rm_v1", pairs, eventStore: new PostgresEventStore(pool), audit: true },
    ...more,
  });
};

const MAIN = fileURLToPath(new URL("../src/main.ts", import.meta.url));

/**
 * The real service (src/main.ts) as a child process on the fixture's
 * database and topics, health on `port`; it migrates on start. stderr is
 * inherited; stdout piped (for the caller to read) or dropped.
 */
export const spawnProjectionService = (
  fixture: ProjectionKafka,
  o: {
    readonly port: number;
    readonly groupId: string;
    readonly logLevel: string;
    readonly stdout: "pipe" | "ignore";
  },
): ChildProcess =>
  spawn(process.execPath, [MAIN], {
    env: {
      ...process.env,
      DATABASE_URL: fixture.database.db.url,
      KAFKA_BROKERS: infraSettings().KAFKA_BROKERS,
      SCHEMA_REGISTRY_URL: infraSettings().SCHEMA_REGISTRY_URL,
      PORT: String(o.port),
      LOG_LEVEL: o.logLevel,
      PROJECTION_GROUP_ID: o.groupId,
      PROJECTION_TOPICS: `${fixture.topics.names["fx.orders"]},${fixture.topics.names["fx.executions"]}`,
      DLQ_TOPIC: fixture.topics.names["fx.dlq"],
      KAFKA_SESSION_TIMEOUT_MS: "6000",
    },
    stdio: ["ignore", o.stdout, "inherit"],
  });

export { type EncodedEvent, encodeEvent, isMatcherEvent } from "./topic-records.ts";

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export const waitFor = async (cond: () => Promise<boolean>, ms = 60_000): Promise<void> => {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return;
    await sleep(200);
  }
  throw new Error("timed out");
};

/** Events a read-model version has processed; 0 while it does not exist yet. */
export const processedCount = async (pool: PgPool, schema = "rm_v1"): Promise<number> => {
  try {
    return Number(
      (await pool.query(`SELECT count(*) AS n FROM ${schema}.processed_events`)).rows[0]?.n,
    );
  } catch {
    return 0;
  }
};
