// The read-model ExecutionSource on real Postgres with projection-service's own
// migrations: rows in rm_v1.executions come out as FIX reports (prices and
// AvgPx formatted with the instrument's scale), in per-account order.

import { REFERENCE_CATALOG } from "@fxcore/domain";
import { createPgPool, type PgPool } from "@fxcore/infra";
import { createTestDatabase, type TestDatabase } from "@fxcore/infra/testing";
import type {} from "@fxcore/infra/testing/global-setup";
import { migrateProjection } from "@fxcore/projection-service";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pgExecutionSource } from "../../src/executions/pg-source.ts";
import { encodeFixJson } from "../../src/fix/json.ts";
import { validate } from "../../src/fix/validate.ts";

let db: TestDatabase;
let pool: PgPool;

beforeAll(async () => {
  db = await createTestDatabase("gwrm");
  pool = createPgPool({ connectionString: db.url, applicationName: "gateway-rm-it", max: 2 });
  await migrateProjection(pool);
  const row = `INSERT INTO rm_v1.executions (account, account_seq, exec_id, msg_type, exec_type, ord_status, order_id,
      cl_ord_id, orig_cl_ord_id, symbol, side, ord_type, price, order_qty, last_qty, last_px, cum_qty, leaves_qty,
      notional, reject_reason, cxl_rej_response_to, text, transact_time, pair_seq, event_id)
    VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22,$23,$24,$25)`;
  const t = "1790000000000000000";
  await pool.query(row, [
    "A",
    1,
    "x1",
    "8",
    "0",
    "0",
    "O1",
    "c1",
    null,
    "EURUSD",
    "BUY",
    "LIMIT",
    110000,
    3000000,
    null,
    null,
    0,
    3000000,
    "0",
    null,
    null,
    null,
    t,
    1,
    "e1",
  ]);
  await pool.query(row, [
    "A",
    2,
    "x2",
    "8",
    "F",
    "1",
    "O1",
    "c1",
    null,
    "EURUSD",
    "BUY",
    "LIMIT",
    110000,
    3000000,
    1000000,
    109990,
    1000000,
    2000000,
    "109990000000",
    null,
    null,
    null,
    t,
    2,
    "e2",
  ]);
  await pool.query(row, [
    "A",
    3,
    "x3",
    "8",
    "F",
    "1",
    "O1",
    "c1",
    null,
    "EURUSD",
    "BUY",
    "LIMIT",
    110000,
    3000000,
    1000000,
    109995,
    2000000,
    1000000,
    "219985000000",
    null,
    null,
    null,
    t,
    3,
    "e3",
  ]);
  await pool.query(row, [
    "A",
    4,
    "x4",
    "9",
    null,
    "1",
    "O1",
    "c2",
    "c1",
    "EURUSD",
    null,
    null,
    null,
    null,
    null,
    null,
    2000000,
    1000000,
    "0",
    0,
    1,
    "too late",
    t,
    4,
    "e4",
  ]);
  await pool.query(row, [
    "B",
    1,
    "y1",
    "8",
    "8",
    "8",
    null,
    "r1",
    null,
    "XXXYYY",
    "SELL",
    null,
    null,
    null,
    null,
    null,
    0,
    0,
    "0",
    1,
    null,
    "unknown symbol",
    t,
    null,
    "e5",
  ]);
});
afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

describe("read-model execution source", () => {
  it("renders each account's reports in sequence, conforming to the dictionary", async () => {
    const src = pgExecutionSource(pool, REFERENCE_CATALOG);
    expect(await src.ready()).toBe(true);
    const a = await src.after("A", 0, 10);
    expect(a.map((r) => r.accountSeq)).toEqual([1, 2, 3, 4]);
    for (const r of a) expect(validate(r.report, "out").ok, encodeFixJson(r.report)).toBe(true);
    const json = a.map((r) => JSON.parse(encodeFixJson(r.report)));
    expect(json[0]).toMatchObject({
      MsgType: "8",
      ExecID: "x1",
      ExecType: "0",
      Price: "1.10000",
      OrderQty: "3000000",
      AvgPx: "0",
    });
    expect(json[1]).toMatchObject({
      ExecType: "F",
      LastQty: "1000000",
      LastPx: "1.09990",
      CumQty: "1000000",
      LeavesQty: "2000000",
      AvgPx: "1.09990",
    });
    // (1.09990 + 1.09995) / 2 = 1.099925: exact, beyond the price scale
    expect(json[2]).toMatchObject({ CumQty: "2000000", AvgPx: "1.099925" });
    expect(json[3]).toMatchObject({
      MsgType: "9",
      ClOrdID: "c2",
      OrigClOrdID: "c1",
      CxlRejReason: "0",
      CxlRejResponseTo: "1",
      Text: "too late",
    });
    expect((await src.after("A", 2, 1)).map((r) => r.accountSeq)).toEqual([3]);
    const b = await src.after("B", 0, 10);
    expect(JSON.parse(encodeFixJson(b[0]!.report))).toMatchObject({
      ExecType: "8",
      OrdStatus: "8",
      OrdRejReason: "1",
      OrderID: "NONE",
    });
    expect(await src.after("C", 0, 10)).toEqual([]);
  });

  it("relays projection-service's NOTIFYs to stream listeners", async () => {
    const src = pgExecutionSource(pool, REFERENCE_CATALOG);
    const seen: Array<readonly string[] | null> = [];
    const got = new Promise<void>((resolve) => {
      const stop = src.changes!((accounts) => {
        seen.push(accounts);
        if (seen.length === 2) {
          stop();
          resolve();
        }
      });
    });
    // The LISTEN is set up asynchronously: notify until both arrive.
    for (let i = 0; i < 50 && seen.length < 2; i++) {
      await pool.query("SELECT pg_notify('fx_read_models', $1)", [
        seen.length === 0
          ? '{"schema":"rm_v1","accounts":["A","B"],"symbols":[]}'
          : '{"schema":"rm_v1","all":true}',
      ]);
      await new Promise((r) => setTimeout(r, 50));
    }
    await got;
    expect(seen.slice(0, 2)).toEqual([["A", "B"], null]);
  });
});
