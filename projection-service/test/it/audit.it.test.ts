import type { PgPool } from "@fxcore/infra";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordDigest, verifyAuditTrail } from "../../src/audit/audit-store.ts";
import { projectBatch } from "../../src/projector/project-batch.ts";
import { migrateProjection } from "../../src/store/migrate.ts";
import { pairs } from "../fixtures.ts";
import { type ProjectionDatabase, projectionDatabase } from "../harness.ts";
import { scriptedSession } from "../session.ts";

let database: ProjectionDatabase | undefined;
let pool: PgPool;

beforeAll(async () => {
  // The projection's schema only: no event store.
  database = await projectionDatabase("audit", { migrate: false });
  pool = database.pool;
  await migrateProjection(pool);
  const events = scriptedSession(120).map((envelope) => ({ envelope, raw: null }));
  for (let i = 0; i < events.length; i += 25) {
    await projectBatch(
      pool,
      { schema: "rm_v1", pairs, audit: true },
      { source: null, events: events.slice(i, i + 25) },
    );
  }
});
afterAll(() => database?.close());

const tamper = async (sql: string) => {
  const c = await pool.connect();
  try {
    await c.query("BEGIN");
    // A superuser can switch triggers off for its session: exactly what verification must catch.
    await c.query("SET LOCAL session_replication_role = replica");
    await c.query(sql);
    await c.query("COMMIT");
  } finally {
    c.release();
  }
};

describe("audit trail", () => {
  it("given an intact trail with a digest, then verification passes over every record", async () => {
    const d = await recordDigest(pool);
    expect(d.heads.map((h) => h.pair).sort()).toEqual(["EURUSD", "USDJPY"]);
    const r = await verifyAuditTrail(pool);
    expect(r).toMatchObject({ ok: true, pairs: 2, digests: 1 });
  });

  it("the database refuses UPDATE and DELETE: by trigger for the owner, by privilege for the writer role", async () => {
    await expect(
      pool.query("UPDATE audit.records SET event_type = 'x' WHERE chain_seq = 1"),
    ).rejects.toThrow(/append-only/);
    await expect(pool.query("DELETE FROM audit.records WHERE chain_seq = 1")).rejects.toThrow(
      /append-only/,
    );
    await expect(pool.query("TRUNCATE audit.records")).rejects.toThrow(/append-only|permission/);
    const c = await pool.connect();
    try {
      await c.query("SET ROLE fxcore_audit_writer");
      await expect(
        c.query("UPDATE audit.records SET event_type = 'x' WHERE chain_seq = 1"),
      ).rejects.toThrow(/permission denied/);
      await expect(c.query("DELETE FROM audit.records")).rejects.toThrow(/permission denied/);
      await c.query("RESET ROLE");
    } finally {
      c.release();
    }
  });

  it("given a superuser rewrites one record's event bytes, then verification reports exactly that link", async () => {
    const { rows } = await pool.query<{ chain_seq: string }>(
      "SELECT chain_seq FROM audit.records WHERE pair = 'EURUSD' ORDER BY chain_seq OFFSET 10 LIMIT 1",
    );
    const seq = Number(rows[0]?.chain_seq);
    await tamper(
      `UPDATE audit.records SET canonical = convert_to(replace(convert_from(canonical, 'UTF8'), '"qty":', '"qty":1'), 'UTF8')
       WHERE pair = 'EURUSD' AND chain_seq = ${seq}`,
    );
    const r = await verifyAuditTrail(pool);
    expect(r).toEqual({
      ok: false,
      broken: expect.objectContaining({ pair: "EURUSD", chainSeq: seq, problem: "HASH_MISMATCH" }),
    });
  });

  it("given a superuser deletes a record, then verification reports the gap", async () => {
    await tamper("DELETE FROM audit.records WHERE pair = 'USDJPY' AND chain_seq = 3");
    const r = await verifyAuditTrail(pool, { pairs: ["USDJPY"] });
    expect(r).toEqual({
      ok: false,
      broken: expect.objectContaining({ pair: "USDJPY", chainSeq: 4, problem: "SEQUENCE_GAP" }),
    });
  });
});
