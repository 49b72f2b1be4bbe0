import type { PgPool } from "@fxcore/infra";
import { ACTIVE_SCHEMA } from "./ddl.ts";

/** The read-model version schema readers see now (rm_v1 …). */
export async function activeSchema(pool: PgPool): Promise<string> {
  const { rows } = await pool.query<{ schema_name: string }>(
    `SELECT schema_name FROM ${ACTIVE_SCHEMA}.active_version`,
  );
  const s = rows[0]?.schema_name;
  if (!s) throw new Error("no active read-model version: run the projection migrations");
  return s;
}
