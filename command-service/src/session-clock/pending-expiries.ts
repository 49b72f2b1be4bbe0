// The pending-expiry table (cs_pending_expiries): written by the command
// writer in the OrderAccepted's transaction, drained by the session clock.
import type { Queryable } from "@fxcore/event-store";
import type { DueExpiry } from "./due-ticks.ts";

/** Records expiries inside the caller's transaction (duplicates collapse). */
export async function recordExpiries(
  via: Queryable,
  expiries: readonly DueExpiry[],
): Promise<void> {
  if (expiries.length === 0) return;
  await via.query(
    `INSERT INTO cs_pending_expiries (due_ns, symbol)
     SELECT DISTINCT d, s FROM unnest($1::bigint[], $2::text[]) AS t(d, s)
     ON CONFLICT DO NOTHING`,
    [expiries.map((e) => e.dueNs.toString()), expiries.map((e) => e.symbol)],
  );
}

/**
 * Takes (deletes and returns) every expiry due at or before `now`, of the
 * given pairs only (null: all), inside the caller's transaction.
 */
export async function takeDueExpiries(
  via: Queryable,
  now: bigint,
  pairs: readonly string[] | null,
): Promise<DueExpiry[]> {
  const { rows } = await via.query<{ symbol: string; due_ns: string }>(
    `DELETE FROM cs_pending_expiries WHERE due_ns <= $1 AND ($2::text[] IS NULL OR symbol = ANY($2))
     RETURNING symbol, due_ns`,
    [now.toString(), pairs],
  );
  return rows.map((r) => ({ symbol: r.symbol, dueNs: BigInt(r.due_ns) }));
}
