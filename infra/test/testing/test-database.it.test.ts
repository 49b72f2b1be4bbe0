import pg from "pg";
import { describe, expect, it } from "vitest";
import { createPgPool, withTransaction } from "../../src/index.ts";
import { createTestDatabase } from "../../src/testing/index.ts";

describe("createTestDatabase", () => {
  it("gives each suite its own empty database and drops it afterwards", async () => {
    const a = await createTestDatabase("infra_a");
    const b = await createTestDatabase("infra_b");
    expect(a.name).not.toBe(b.name);
    const poolA = createPgPool({ connectionString: a.url, applicationName: "infra-test" });
    const poolB = createPgPool({ connectionString: b.url, applicationName: "infra-test" });
    try {
      await poolA.query("CREATE TABLE t (id int primary key)");
      await withTransaction(poolA, async (c) => {
        await c.query("INSERT INTO t VALUES (1), (2)");
      });
      // A failed transaction leaves nothing behind.
      await expect(
        withTransaction(poolA, async (c) => {
          await c.query("INSERT INTO t VALUES (3)");
          await c.query("INSERT INTO t VALUES (1)");
        }),
      ).rejects.toThrow(/duplicate key/);
      expect((await poolA.query("SELECT count(*)::int AS n FROM t")).rows[0].n).toBe(2);
      await expect(poolB.query("SELECT * FROM t")).rejects.toThrow(/relation "t" does not exist/);
      const settings = await poolA.query("SHOW idle_in_transaction_session_timeout");
      expect(settings.rows[0].idle_in_transaction_session_timeout).toBe("1min");
    } finally {
      await poolA.end();
      await poolB.end();
    }
    await a.drop();
    await b.drop();
    const client = new pg.Client({ connectionString: a.url });
    await expect(client.connect()).rejects.toThrow(/does not exist/);
  });
});
