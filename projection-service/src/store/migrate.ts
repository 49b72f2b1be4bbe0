import { fileURLToPath } from "node:url";
import type { PgPool } from "@fxcore/infra";
import { runner } from "node-pg-migrate";

const migrationsDir = fileURLToPath(new URL("./migrations", import.meta.url));

/** Applies the projection's migrations (idempotent; node-pg-migrate's advisory lock serialises starters). */
export async function migrateProjection(pool: PgPool): Promise<void> {
  const client = await pool.connect();
  try {
    await runner({
      dbClient: client,
      dir: migrationsDir,
      migrationsTable: "pgmigrations_projection",
      direction: "up",
      checkOrder: true,
      log: () => {},
    });
  } finally {
    client.release();
  }
}
