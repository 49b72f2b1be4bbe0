// Every row of one read-model version, in a canonical order: what rebuild
// compares against the live version, and what tests compare against the
// in-memory reference.
import type { Side } from "@fxcore/domain";
import type { PgPool } from "@fxcore/infra";
import type { Candle, Interval } from "../models/candles.ts";
import type { DepthLevel } from "../models/depth.ts";
import type { Exposure } from "../models/open-exposure.ts";
import type { OrderView } from "../models/orders.ts";
import type { PositionView } from "../models/positions.ts";
import type { ReferencePrice } from "../models/reference-prices.ts";
import { orderFromRow, positionFromRow } from "../projector/pg-read-models.ts";

export interface ReadModelSnapshot {
  readonly orders: OrderView[];
  readonly executions: {
    account: string;
    accountSeq: number;
    execId: string;
    execType: string | null;
    orderId: string | null;
  }[];
  readonly trades: { symbol: string; seq: number; execId: string; price: number; qty: number }[];
  readonly positions: PositionView[];
  readonly balances: Map<string, bigint>;
  readonly depth: DepthLevel[];
  readonly candles: Candle[];
  readonly referencePrices: ReferencePrice[];
  readonly exposure: Exposure[];
}

export async function readModelSnapshot(pool: PgPool, schema: string): Promise<ReadModelSnapshot> {
  const q = async <T extends object>(sql: string) =>
    (await pool.query<T & Record<string, never>>(sql)).rows as T[];
  const orders = await q<Parameters<typeof orderFromRow>[0]>(
    `SELECT * FROM ${schema}.orders ORDER BY order_id COLLATE "C"`,
  );
  const executions = await q<{
    account: string;
    account_seq: string;
    exec_id: string;
    exec_type: string | null;
    order_id: string | null;
  }>(
    `SELECT account, account_seq, exec_id, exec_type, order_id FROM ${schema}.executions ORDER BY account, account_seq`,
  );
  const trades = await q<{
    symbol: string;
    seq: string;
    exec_id: string;
    price: string;
    qty: string;
  }>(`SELECT symbol, seq, exec_id, price, qty FROM ${schema}.trades ORDER BY symbol, seq`);
  const positions = await q<Record<string, string>>(
    `SELECT * FROM ${schema}.positions ORDER BY account, symbol`,
  );
  const balances = await q<{ account: string; currency: string; amount: string }>(
    `SELECT * FROM ${schema}.balances`,
  );
  const depth = await q<{
    symbol: string;
    side: string;
    price: string;
    qty: string;
    orders: number;
  }>(
    `SELECT * FROM ${schema}.depth ORDER BY symbol COLLATE "C", side COLLATE "C", price::text COLLATE "C"`,
  );
  const candles = await q<Record<string, string>>(
    `SELECT * FROM ${schema}.candles ORDER BY symbol, interval, start_ns`,
  );
  const refs = await q<{ symbol: string; price: string; seq: string; transact_time: string }>(
    `SELECT * FROM ${schema}.reference_prices ORDER BY symbol COLLATE "C"`,
  );
  const exposure = await q<{ account: string; symbol: string; notional: string; orders: number }>(
    `SELECT * FROM ${schema}.open_exposure ORDER BY account COLLATE "C", symbol COLLATE "C"`,
  );
  return {
    referencePrices: refs.map((r) => ({
      symbol: r.symbol,
      price: Number(r.price),
      seq: Number(r.seq),
      transactTime: BigInt(r.transact_time),
    })),
    exposure: exposure.map((r) => ({
      account: r.account,
      symbol: r.symbol,
      notional: BigInt(r.notional),
      orders: r.orders,
    })),
    orders: orders.map(orderFromRow),
    executions: executions.map((r) => ({
      account: r.account,
      accountSeq: Number(r.account_seq),
      execId: r.exec_id,
      execType: r.exec_type,
      orderId: r.order_id,
    })),
    trades: trades.map((r) => ({
      symbol: r.symbol,
      seq: Number(r.seq),
      execId: r.exec_id,
      price: Number(r.price),
      qty: Number(r.qty),
    })),
    positions: positions.map(positionFromRow),
    balances: new Map(balances.map((r) => [`${r.account}|${r.currency}`, BigInt(r.amount)])),
    depth: depth.map((r) => ({
      symbol: r.symbol,
      side: r.side as Side,
      price: Number(r.price),
      qty: BigInt(r.qty),
      orders: r.orders,
    })),
    candles: candles.map((r) => ({
      symbol: r.symbol as string,
      interval: r.interval as Interval,
      start: BigInt(r.start_ns as string),
      open: Number(r.open),
      high: Number(r.high),
      low: Number(r.low),
      close: Number(r.close),
      volume: BigInt(r.volume as string),
      notional: BigInt(r.notional as string),
      trades: Number(r.trades),
      firstSeq: Number(r.first_seq),
      lastSeq: Number(r.last_seq),
    })),
  };
}
