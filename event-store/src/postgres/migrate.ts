import { fileURLToPath } from "node:url";
import { runner } from "node-pg-migrate";
import type pg from "pg";

const migrationsDir = fileURLToPath(new URL("./migrations", import.meta.url));

/**
 * Applies the event store's migrations (idempotent; node-pg-migrate holds an
 * advisory lock, so services starting together do not race).
 */
export async function migrateEventStore(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  try {
    await runner({
      dbClient: client,
      dir: migrationsDir,
      migrationsTable: "pgmigrations_event_store",
      direction: "up",
      checkOrder: true,
      log: () => {},
    });
  } finally {
    client.release();
  }
}
