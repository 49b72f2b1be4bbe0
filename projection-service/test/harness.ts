// What the projection's integration tests share: a migrated database, session
// events encoded as the matcher and the outbox relay would put them on the
// topics (topic-records.ts, also used by bench:projection), polling helpers.
import { migrateEventStore } from "@fxcore/event-store";
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
import { migrateProjection } from "../src/store/migrate.ts";

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
