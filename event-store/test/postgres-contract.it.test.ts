import pg from "pg";
import { migrateEventStore, PostgresEventStore } from "../src/index.ts";
import { eventStoreContract } from "../src/testing/contract.ts";
import { createTestDatabase } from "./support/test-database.ts";

eventStoreContract("Postgres", async () => {
  const db = await createTestDatabase("es_contract");
  const pool = new pg.Pool({ connectionString: db.url, max: 16 });
  await migrateEventStore(pool);
  const store = new PostgresEventStore(pool);
  return {
    store,
    dispose: async () => {
      await store.close();
      await pool.end();
      await db.drop();
    },
  };
});
