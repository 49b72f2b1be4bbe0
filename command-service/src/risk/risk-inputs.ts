// What pre-trade risk needs from Postgres, held in memory and refreshed on a
// timer (a command must not pay a query for data that changes by the second
// at most): limits per account (cs_accounts), and from projection-service's
// read models in the same database, reference prices (rm.reference_prices,
// last trade per pair) and open exposure (rm.open_exposure) plus the orders
// accepted here that the projection has not processed yet (ADR 075). One
// REPEATABLE READ snapshot per refresh, so an order is counted exactly once:
// either the projection has applied its OrderAccepted, or it is unprojected.
import {
  type AccountId,
  type AccountRiskProfile,
  accountId,
  type Notional,
  type PriceTicks,
  priceTicks,
  qty,
  type RiskContext,
  ZERO_NOTIONAL,
} from "@fxcore/domain";
import type { PgPool } from "@fxcore/infra";
import {
  LOG_START,
  type LogPoint,
  scanUnprojected,
  unprojectedExposure,
} from "./unprojected-acceptances.ts";

export interface RiskInputsStatus {
  /** false: projection-service's rm views are not in this database; no collar, no exposure. */
  readonly readSide: boolean;
  /** Accepted orders not yet in the read models, counted by this service itself. */
  readonly unprojectedOrders: number;
  /** Unprojected OrderAccepted events whose order could not be valued (not counted). */
  readonly problems: readonly string[];
  readonly refreshedAt: Date | null;
}

export interface RiskInputs {
  context(account: string, symbol: string): RiskContext;
  /** Reloads now (tests, and after limits were changed). */
  refresh(): Promise<void>;
  status(): RiskInputsStatus;
  close(): void;
}

interface Snapshot {
  readonly profiles: ReadonlyMap<string, AccountRiskProfile>;
  readonly prices: ReadonlyMap<string, PriceTicks>;
  readonly exposure: ReadonlyMap<string, Notional>;
  readonly status: RiskInputsStatus;
}

const EMPTY: Snapshot = {
  profiles: new Map(),
  prices: new Map(),
  exposure: new Map(),
  status: { readSide: false, unprojectedOrders: 0, problems: [], refreshedAt: null },
};

export async function loadRiskInputs(pool: PgPool, refreshMs = 1000): Promise<RiskInputs> {
  let snapshot = EMPTY;
  // Where the scan for unprojected acceptances resumes; only moves forward.
  let from: LogPoint = LOG_START;

  const load = async (): Promise<void> => {
    const client = await pool.connect();
    try {
      await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
      const accounts = await client.query<{
        account: string;
        enabled: boolean;
        max_order_qty: string;
        max_notional: string;
        credit_limit: string;
      }>("SELECT account, enabled, max_order_qty, max_notional, credit_limit FROM cs_accounts");
      const { rows: present } = await client.query<{ ok: boolean }>(
        `SELECT to_regclass('rm.reference_prices') IS NOT NULL AND to_regclass('rm.open_exposure') IS NOT NULL
            AND to_regclass('rm.processed_events') IS NOT NULL AS ok`,
      );
      const readSide = present[0]?.ok === true;
      const prices = new Map<string, PriceTicks>();
      const exposure = new Map<string, Notional>();
      let unprojected = 0;
      let problems: string[] = [];
      if (readSide) {
        const refs = await client.query<{ symbol: string; price: string }>(
          "SELECT symbol, price::text FROM rm.reference_prices",
        );
        for (const r of refs.rows) prices.set(r.symbol, priceTicks(Number(r.price)));
        const open = await client.query<{ account: string; symbol: string; notional: string }>(
          "SELECT account, symbol, notional::text FROM rm.open_exposure",
        );
        for (const r of open.rows)
          exposure.set(`${r.account}/${r.symbol}`, BigInt(r.notional) as Notional);
        const scan = await scanUnprojected(client, from);
        for (const [k, v] of unprojectedExposure(scan.acceptances, (s) => prices.get(s)))
          exposure.set(k, ((exposure.get(k) ?? ZERO_NOTIONAL) + v) as Notional);
        from = scan.next;
        unprojected = scan.acceptances.length;
        problems = scan.problems;
      }
      await client.query("COMMIT");
      snapshot = {
        profiles: new Map(
          accounts.rows.map((r) => [
            r.account,
            {
              account: accountId(r.account),
              enabled: r.enabled,
              maxOrderQty: qty(Number(r.max_order_qty)),
              maxNotional: BigInt(r.max_notional),
              creditLimit: BigInt(r.credit_limit),
            },
          ]),
        ),
        prices,
        exposure,
        status: { readSide, unprojectedOrders: unprojected, problems, refreshedAt: new Date() },
      };
    } catch (e) {
      await client.query("ROLLBACK").catch(() => {});
      throw e;
    } finally {
      client.release();
    }
  };

  // One refresh at a time: the scan's resume point must not be raced.
  let running: Promise<void> = Promise.resolve();
  const refresh = (): Promise<void> => {
    running = running.catch(() => {}).then(load);
    return running;
  };

  await refresh();
  // A failed refresh keeps the last snapshot; the write path reports the outage.
  const timer = setInterval(() => void refresh().catch(() => {}), refreshMs);
  timer.unref();
  return {
    context: (account, symbol) => ({
      profile: snapshot.profiles.get(account) ?? null,
      openExposure: snapshot.exposure.get(`${account}/${symbol}`) ?? ZERO_NOTIONAL,
      referencePrice: snapshot.prices.get(symbol) ?? null,
    }),
    refresh,
    status: () => snapshot.status,
    close: () => clearInterval(timer),
  };
}

export type { AccountId };
