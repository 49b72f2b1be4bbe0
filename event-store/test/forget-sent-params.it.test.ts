// forgetSentParams (ADR 129): a pipelined client has written a statement's
// messages when query() returns, so its parameter array may be emptied while
// the answer is awaited; a client that has not sent it yet must keep them.
import { createPgPool, type PgPool, setPipelineMode } from "@fxcore/infra";
import { createTestDatabase } from "@fxcore/infra/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { forgetSentParams } from "../src/index.ts";

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let pool: PgPool;

beforeAll(async () => {
  db = await createTestDatabase("es_forget_params");
  pool = createPgPool({ connectionString: db.url, applicationName: "event-store-test", max: 2 });
});
afterAll(async () => {
  await pool.end();
  await db.drop();
});

const STATEMENT = { name: "forget_sent_params_t", text: "SELECT $1::text || $2::text AS v" };

describe("forgetSentParams", () => {
  it("empties the values of a pipelined statement once sent; the answer is the one sent", async () => {
    const client = await pool.connect();
    try {
      setPipelineMode(client, true);
      const first = ["a".repeat(5000), "b"];
      const second = ["c", "d"];
      const p1 = client.query<{ v: string }>({ ...STATEMENT, values: first });
      forgetSentParams(client, first);
      const p2 = client.query<{ v: string }>({ ...STATEMENT, values: second });
      forgetSentParams(client, second);
      expect(first).toEqual([]);
      expect(second).toEqual([]);
      expect((await p1).rows[0]?.v).toBe(`${"a".repeat(5000)}b`);
      expect((await p2).rows[0]?.v).toBe("cd");
    } finally {
      setPipelineMode(client, false);
      client.release();
    }
  });

  it("keeps the values of a statement still queued behind another (no pipeline)", async () => {
    const client = await pool.connect();
    try {
      const busy = client.query("SELECT pg_sleep(0.05)");
      const values = ["x", "y"];
      const queued = client.query<{ v: string }>({ ...STATEMENT, values });
      forgetSentParams(client, values);
      expect(values).toEqual(["x", "y"]);
      await busy;
      expect((await queued).rows[0]?.v).toBe("xy");
    } finally {
      client.release();
    }
  });
});
