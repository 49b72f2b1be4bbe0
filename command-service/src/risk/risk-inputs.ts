// What pre-trade risk needs from Postgres (limits per account, reference
// prices, open exposure), held in memory and refreshed on a timer: a command
// must not pay a query for data that changes by the second at most.
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

export interface RiskInputs {
  context(account: string, symbol: string): RiskContext;
  /** Reloads now (tests, and after limits were changed). */
  refresh(): Promise<void>;
  close(): void;
}

interface Snapshot {
  readonly profiles: ReadonlyMap<string, AccountRiskProfile>;
  readonly prices: ReadonlyMap<string, PriceTicks>;
  readonly exposure: ReadonlyMap<string, Notional>;
}

export async function loadRiskInputs(pool: PgPool, refreshMs = 1000): Promise<RiskInputs> {
  let snapshot: Snapshot = { profiles: new Map(), prices: new Map(), exposure: new Map() };
  const refresh = async (): Promise<void> => {
    const [accounts, prices, exposure] = await Promise.all([
      pool.query<{
        account: string;
        enabled: boolean;
        max_order_qty: string;
        max_notional: string;
        credit_limit: string;
      }>("SELECT account, enabled, max_order_qty, max_notional, credit_limit FROM cs_accounts"),
      pool.query<{ symbol: string; price_ticks: string }>(
        "SELECT symbol, price_ticks FROM cs_reference_prices",
      ),
      pool.query<{ account: string; symbol: string; notional: string }>(
        "SELECT account, symbol, notional::text FROM cs_open_exposure",
      ),
    ]);
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
      prices: new Map(prices.rows.map((r) => [r.symbol, priceTicks(Number(r.price_ticks))])),
      exposure: new Map(
        exposure.rows.map((r) => [`${r.account}/${r.symbol}`, BigInt(r.notional) as Notional]),
      ),
    };
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
    close: () => clearInterval(timer),
  };
}

export type { AccountId };
