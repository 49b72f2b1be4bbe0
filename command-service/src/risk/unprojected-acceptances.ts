// Orders this database accepted that the projection has not processed yet:
// they are in no read model, so the credit check adds them itself (ADR 075).
// "Processed" is exact: the projection marks every event id it applied in
// rm.processed_events in the same transaction as the read-model change, and
// rm.open_exposure counts an order from the moment its OrderAccepted is applied.
import {
  type Notional,
  notional,
  type PriceTicks,
  priceTicks,
  qty,
  ZERO_NOTIONAL,
} from "@fxcore/domain";

/** What the credit check needs of an accepted order. */
export interface Acceptance {
  readonly account: string;
  readonly symbol: string;
  readonly ordType: string;
  /** Limit price in ticks; null for MARKET. */
  readonly price: number | null;
  readonly qty: number;
}

export type AcceptanceParse =
  | { readonly ok: true; readonly value: Acceptance }
  | { readonly ok: false; readonly reason: string };

/** The order as the command side answered it (its stored ExecutionReport New). */
export const acceptanceOfAnswer = (responseJson: string): AcceptanceParse => {
  let answer: unknown;
  try {
    answer = JSON.parse(responseJson);
  } catch {
    return { ok: false, reason: "stored answer is not JSON" };
  }
  const r = (answer as { report?: Record<string, unknown> } | null)?.report;
  if (!r || typeof r !== "object") return { ok: false, reason: "stored answer has no report" };
  const n = (v: unknown): number | null =>
    typeof v === "number" ? v : typeof v === "string" && /^\d+$/.test(v) ? Number(v) : null;
  const price = r.price === null ? null : n(r.price);
  const q = n(r.orderQty);
  if (typeof r.account !== "string" || typeof r.symbol !== "string" || q === null)
    return { ok: false, reason: "stored report lacks account, symbol or orderQty" };
  if (r.price !== null && price === null) return { ok: false, reason: "stored report price" };
  return {
    ok: true,
    value: {
      account: r.account,
      symbol: r.symbol,
      ordType: typeof r.ordType === "string" ? r.ordType : "LIMIT",
      price,
      qty: q,
    },
  };
};

/**
 * Σ notional per `${account}/${symbol}` of unprojected acceptances: a LIMIT
 * order at its price, a MARKET order at the pair's reference price (as the
 * domain values it), or not at all when the pair has none.
 */
export const unprojectedExposure = (
  acceptances: readonly Acceptance[],
  referencePrice: (symbol: string) => PriceTicks | undefined,
): Map<string, Notional> => {
  const out = new Map<string, Notional>();
  for (const a of acceptances) {
    const price = a.price === null ? referencePrice(a.symbol) : priceTicks(a.price);
    if (price === undefined) continue;
    const k = `${a.account}/${a.symbol}`;
    out.set(k, ((out.get(k) ?? ZERO_NOTIONAL) + notional(price, qty(a.qty))) as Notional);
  }
  return out;
};

/** A point in the event store's log order (transaction_id, global_position). */
export interface LogPoint {
  readonly tx: string;
  readonly position: string;
}
export const LOG_START: LogPoint = { tx: "0", position: "0" };

interface ScanRow {
  tx: string;
  pos: string;
  settled: boolean;
  projected: boolean;
  response: string | null;
}

interface Queryable {
  query<R extends object>(sql: string, params?: unknown[]): Promise<{ rows: R[] }>;
}

/**
 * Scans OrderAccepted events after `from` in log order (gap-safe like the
 * event store's reader: a row counts as settled only below the oldest running
 * transaction), in the caller's snapshot. Returns the unprojected ones and
 * how far the scan may start next time: up to, not past, the first event that
 * is unprojected or not settled yet.
 */
export async function scanUnprojected(
  db: Queryable,
  from: LogPoint,
  page = 5_000,
): Promise<{ acceptances: Acceptance[]; problems: string[]; next: LogPoint }> {
  const acceptances: Acceptance[] = [];
  const problems: string[] = [];
  let next = from;
  let blocked = false;
  for (let after = from; ; ) {
    const { rows } = await db.query<ScanRow>(
      `SELECT e.transaction_id::text AS tx, e.global_position::text AS pos,
              e.transaction_id < pg_snapshot_xmin(pg_current_snapshot()) AS settled,
              p.event_id IS NOT NULL AS projected,
              CASE WHEN p.event_id IS NULL THEN c.response END AS response
         FROM es_events e
         LEFT JOIN rm.processed_events p ON p.event_id = e.event_id::text
         LEFT JOIN cs_client_order_ids c
           ON c.account = e.metadata->>'account' AND c.cl_ord_id = e.metadata->>'clOrdId'
        WHERE e.event_type = 'OrderAccepted'
          AND (e.transaction_id, e.global_position) > ($1::xid8, $2::bigint)
        ORDER BY e.transaction_id, e.global_position
        LIMIT $3`,
      [after.tx, after.position, page],
    );
    for (const r of rows) {
      if (!r.projected) {
        if (r.response === null)
          problems.push(`no stored answer for the OrderAccepted at ${r.pos}`);
        else {
          const a = acceptanceOfAnswer(r.response);
          if (a.ok) acceptances.push(a.value);
          else problems.push(`OrderAccepted at ${r.pos}: ${a.reason}`);
        }
      }
      if (!blocked && r.projected && r.settled) next = { tx: r.tx, position: r.pos };
      else blocked = true;
    }
    const last = rows[rows.length - 1];
    if (rows.length < page || last === undefined) break;
    after = { tx: last.tx, position: last.pos };
  }
  return { acceptances, problems, next };
}
