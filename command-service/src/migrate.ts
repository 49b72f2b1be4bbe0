import { fileURLToPath } from "node:url";
import { migrateEventStore } from "@fxcore/event-store";
import type { PgPool } from "@fxcore/infra";
import { runner } from "node-pg-migrate";

const dir = fileURLToPath(new URL("./migrations", import.meta.url));

/** The event store's migrations, then command-service's own (applied on start and in tests). */
export async function migrateCommandService(pool: PgPool): Promise<void> {
  await migrateEventStore(pool);
  const client = await pool.connect();
  try {
    await runner({
      dbClient: client,
      dir,
      migrationsTable: "pgmigrations_command_service",
      direction: "up",
      checkOrder: true,
      log: () => {},
    });
  } finally {
    client.release();
  }
}
