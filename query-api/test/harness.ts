// One query-api over a fresh test database (event store + read models
// migrated, the notification hub listening) for the integration tests.
import { migrateEventStore } from "@fxcore/event-store";
import { createPgPool, type PgPool } from "@fxcore/infra";
import { createTestDatabase, type TestDatabase } from "@fxcore/infra/testing";
import { migrateProjection } from "@fxcore/projection-service";
import type { FastifyInstance } from "fastify";
import { type AppOptions, buildApp } from "../src/http/app.ts";
import { type NotificationHub, startNotificationHub } from "../src/live/hub.ts";

export interface QueryApiUnderTest {
  readonly db: TestDatabase;
  readonly pool: PgPool;
  readonly hub: NotificationHub;
  readonly app: FastifyInstance;
  close(): Promise<void>;
}

export async function startQueryApi(
  name: string,
  options: (pool: PgPool) => Omit<AppOptions, "pool" | "hub"> = () => ({}),
): Promise<QueryApiUnderTest> {
  const db = await createTestDatabase(name);
  const pool = createPgPool({ connectionString: db.url, applicationName: `${name}-it` });
  await migrateEventStore(pool);
  await migrateProjection(pool);
  const hub = await startNotificationHub(db.url);
  const app = await buildApp({ pool, hub, ...options(pool) });
  return {
    db,
    pool,
    hub,
    app,
    async close() {
      await app.close();
      await hub.close();
      await pool.end();
      await db.drop();
    },
  };
}
