import { createPgPool } from "@fxcore/infra";
import { createTestDatabase } from "@fxcore/infra/testing";
import { migrateEventStore, PostgresEventStore } from "../src/index.ts";
import { eventStoreContract } from "../src/testing/contract.ts";

eventStoreContract("Postgres", async () => {
  const db = await createTestDatabase("es_contract");
  const pool = createPgPool({
    connectionString: db.url,
    applicationName: "event-store-test",
    max: 16,
  });
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
