// What the projection's integration tests share: a migrated database, session
// events encoded as the matcher and the outbox relay would put them on the
// topics (topic-records.ts, also used by bench:projection), polling helpers.
import { migrateEventStore } from "@fxcore/event-store";
import { createPgPool, type PgPool } from "@fxcore/infra";
import { createTestDatabase, type TestDatabase } from "@fxcore/infra/testing";
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
