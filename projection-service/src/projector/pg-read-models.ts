// Postgres side of the read models: load the rows a batch touches into the
// in-memory working set, and write what the batch changed back.
import type { DomainEvent, OrdStatus, OrdType, Side, TimeInForce } from "@fxcore/domain";
import { textColumn, textColumnSql } from "@fxcore/event-store";
import type { PgClient } from "@fxcore/infra";
import type { EventEnvelope } from "../models/envelope.ts";
import type { Pending } from "../models/memory.ts";
import type { OrderView } from "../models/orders.ts";
import { orderIdsOf } from "../models/orders.ts";
import type { PositionView } from "../models/positions.ts";
import { TextCopyRows } from "./copy-rows.ts";
import {
  copyStatement,
  preparedStatement,
  type Read,
  type Statement,
  withLiterals,
} from "./one-round-trip.ts";

export type Queryable = Pick<PgClient, "query">;

const big = (v: string | null): bigint => BigInt(v ?? "0");
const num = (v: string | null): number | null => (v === null ? null : Number(v));

interface OrderRow {
  order_id: string;
  account: string;
  symbol: string;
  side: string;
  cl_ord_id: string;
  orig_cl_ord_id: string | null;
  ord_type: string | null;
  tif: string | null;
  price: string | null;
  order_qty: string | null;
  ord_status: string;
  cum_qty: string;
  leaves_qty: string;
  notional: string;
  accepted: boolean;
  replaced: boolean;
  last_seq: string | null;
  text: string | null;
  created_at: string | null;
  updated_at: string;
}

/** A positions row (numeric columns as text) as the model's view. */
export const positionFromRow = (r: Record<string, unknown>): PositionView => ({
  account: r.account as string,
  symbol: r.symbol as string,
  netQty: BigInt(r.net_qty as string),
  cost: BigInt(r.cost as string),
  realisedPnl: BigInt(r.realised_pnl as string),
  boughtQty: BigInt(r.bought_qty as string),
  soldQty: BigInt(r.sold_qty as string),
  updatedAt: BigInt(r.updated_at as string),
});

export const orderFromRow = (r: OrderRow): OrderView => ({
  orderId: r.order_id,
  account: r.account,
  symbol: r.symbol,
  side: r.side as Side,
  clOrdId: r.cl_ord_id,
  origClOrdId: r.orig_cl_ord_id,
  ordType: r.ord_type as OrdType | null,
  tif: r.tif as TimeInForce | null,
  price: num(r.price),
  orderQty: num(r.order_qty),
  ordStatus: r.ord_status as OrdStatus,
  cumQty: Number(r.cum_qty),
  leavesQty: Number(r.leaves_qty),
  notional: big(r.notional),
  accepted: r.accepted,
  replaced: r.replaced,
  lastSeq: num(r.last_seq),
  text: r.text,
  createdAt: r.created_at === null ? null : BigInt(r.created_at),
  updatedAt: BigInt(r.updated_at),
});

/** Keys of the rows a batch of events reads. */
export const keysOf = (events: readonly DomainEvent[]) => {
  const orderIds = new Set<string>();
  const accounts = new Set<string>();
  const positions = new Set<string>();
  for (const e of events) {
    for (const id of orderIdsOf(e)) orderIds.add(id);
    if ("account" in e) accounts.add(e.account);
    if (e.type === "TradeExecuted") {
      accounts.add(e.makerAccount).add(e.takerAccount);
      positions.add(`${e.makerAccount}|${e.symbol}`).add(`${e.takerAccount}|${e.symbol}`);
    }
  }
  return { orderIds: [...orderIds], accounts: [...accounts], positions: [...positions] };
};

/** What the in-memory working set starts from: the rows a batch touches. */
export interface WorkingSetRows {
  readonly orders: OrderView[];
  readonly accountSeqs: [string, number][];
  readonly positions: PositionView[];
}

/**
 * The reads of the rows `events` touch, except those `known` already holds
 * (the batch in flight changed them); run them with readTogether and join
 * the results with workingSetOf.
 */
export const workingSetReads = (
  schema: string,
  events: readonly EventEnvelope[],
  known?: {
    readonly orders: ReadonlyMap<string, unknown>;
    readonly accountSeqs: ReadonlyMap<string, unknown>;
    readonly positions: ReadonlyMap<string, unknown>;
  },
) => {
  const all = keysOf(events.map((e) => e.event));
  const k = known
    ? {
        orderIds: all.orderIds.filter((id) => !known.orders.has(id)),
        accounts: all.accounts.filter((a) => !known.accountSeqs.has(a)),
        positions: all.positions.filter((p) => !known.positions.has(p)),
      }
    : all;
  const orders: Read<OrderView[]> = {
    sql: k.orderIds.length
      ? withLiterals(
          `SELECT * FROM ${schema}.orders WHERE order_id = ANY(${textColumnSql("$1")})`,
          [textColumn(k.orderIds)],
        )
      : null,
    parse: (rows) => rows.map((r) => orderFromRow(r as unknown as OrderRow)),
  };
  const accountSeqs: Read<[string, number][]> = {
    sql: k.accounts.length
      ? withLiterals(
          `SELECT account, last_seq FROM ${schema}.account_seqs WHERE account = ANY($1::text[])`,
          [k.accounts],
        )
      : null,
    parse: (rows) => rows.map((r): [string, number] => [r.account as string, Number(r.last_seq)]),
  };
  const positions: Read<PositionView[]> = {
    sql: k.positions.length
      ? withLiterals(
          `SELECT * FROM ${schema}.positions WHERE account || '|' || symbol = ANY($1::text[])`,
          [k.positions],
        )
      : null,
    parse: (rows) => rows.map(positionFromRow),
  };
  return [orders, accountSeqs, positions] as const;
};

export const workingSetOf = ([orders, accountSeqs, positions]: readonly [
  OrderView[],
  [string, number][],
  PositionView[],
]): WorkingSetRows => ({ orders, accountSeqs, positions });

const s = (v: bigint | number | null | undefined): string | null =>
  v === null || v === undefined ? null : v.toString();

export const ORDER_COLUMNS = [
  "order_id",
  "account",
  "symbol",
  "side",
  "cl_ord_id",
  "orig_cl_ord_id",
  "ord_type",
  "tif",
  "price",
  "order_qty",
  "ord_status",
  "cum_qty",
  "leaves_qty",
  "notional",
  "accepted",
  "replaced",
  "last_seq",
  "text",
  "created_at",
  "updated_at",
] as const;

/** An order's COPY line, in ORDER_COLUMNS order, field by field (no array of values per order). */
const orderLine = (out: TextCopyRows, o: OrderView): void => {
  out
    .str(o.orderId)
    .str(o.account)
    .str(o.symbol)
    .str(o.side)
    .str(o.clOrdId)
    .str(o.origClOrdId)
    .str(o.ordType)
    .str(o.tif)
    .num(o.price)
    .num(o.orderQty)
    .str(o.ordStatus)
    .num(o.cumQty)
    .num(o.leavesQty)
    .num(o.notional)
    .value(o.accepted)
    .value(o.replaced)
    .num(o.lastSeq)
    .str(o.text)
    .num(o.createdAt)
    .num(o.updatedAt)
    .end();
};

const EXECUTION_COLUMNS = [
  "account",
  "account_seq",
  "exec_id",
  "msg_type",
  "exec_type",
  "ord_status",
  "order_id",
  "cl_ord_id",
  "orig_cl_ord_id",
  "symbol",
  "side",
  "ord_type",
  "price",
  "order_qty",
  "last_qty",
  "last_px",
  "cum_qty",
  "leaves_qty",
  "notional",
  "reject_reason",
  "cxl_rej_response_to",
  "text",
  "transact_time",
  "pair_seq",
  "event_id",
] as const;

/** A parameterised statement, prepared once per connection, its values written in as literals (ADR 110). */
const sql = preparedStatement;
/** A parameterised statement planned for its values each time (ADR 110). */
const literalStatement = (text: string, values: Parameters<typeof withLiterals>[1]): Statement => ({
  sql: withLiterals(text, values),
});

/** The statements that write a batch's changes (pure: nothing is sent). */
export const encodePending = (
  schema: string,
  p: Pending,
  loadedOrders: ReadonlySet<string>,
): Statement[] => {
  const writes: Statement[] = [];
  const inserts = new TextCopyRows();
  let inserted = 0;
  const updates: OrderView[] = [];
  for (const o of p.orders.values()) {
    if (loadedOrders.has(o.orderId)) updates.push(o);
    else {
      orderLine(inserts, o);
      inserted++;
    }
  }
  if (inserted) writes.push(copyStatement(`${schema}.orders`, ORDER_COLUMNS, inserts.finish()));
  if (updates.length) {
    const set = ORDER_COLUMNS.filter((c) => c !== "order_id")
      .map((c) => `${c} = u.${c}`)
      .join(", ");
    // bigints as strings: JSON has no bigint, and json_populate_recordset casts them back.
    // Planned per batch (not prepared): a generic plan made while the table
    // was small kept hash-joining a sequential scan of it as it grew.
    writes.push(
      literalStatement(
        `UPDATE ${schema}.orders o SET ${set}
       FROM json_populate_recordset(NULL::${schema}.orders, $1::json) u WHERE o.order_id = u.order_id`,
        [
          JSON.stringify(
            updates.map((o) => ({
              order_id: o.orderId,
              account: o.account,
              symbol: o.symbol,
              side: o.side,
              cl_ord_id: o.clOrdId,
              orig_cl_ord_id: o.origClOrdId,
              ord_type: o.ordType,
              tif: o.tif,
              price: o.price,
              order_qty: o.orderQty,
              ord_status: o.ordStatus,
              cum_qty: o.cumQty,
              leaves_qty: o.leavesQty,
              notional: o.notional.toString(),
              accepted: o.accepted,
              replaced: o.replaced,
              last_seq: o.lastSeq,
              text: o.text,
              created_at: s(o.createdAt),
              updated_at: o.updatedAt.toString(),
            })),
          ),
        ],
      ),
    );
  }
  if (p.clOrdIdLinks.length) {
    writes.push(
      sql(
        `INSERT INTO ${schema}.order_cl_ord_ids (account, cl_ord_id, order_id)
       SELECT * FROM unnest(${textColumnSql("$1")}, ${textColumnSql("$2")}, ${textColumnSql("$3")}) ON CONFLICT DO NOTHING`,
        [
          textColumn(p.clOrdIdLinks.map((l) => l.account)),
          textColumn(p.clOrdIdLinks.map((l) => l.clOrdId)),
          textColumn(p.clOrdIdLinks.map((l) => l.orderId)),
        ],
      ),
    );
  }
  // The widest and most numerous rows: written field by field into Buffers (no strings).
  if (p.reports.length) {
    const ex = new TextCopyRows();
    for (const x of p.reports)
      ex.str(x.account)
        .num(x.accountSeq)
        .str(x.execId)
        .str(x.msgType)
        .str(x.execType)
        .str(x.ordStatus)
        .str(x.orderId)
        .str(x.clOrdId)
        .str(x.origClOrdId)
        .str(x.symbol)
        .str(x.side)
        .str(x.ordType)
        .num(x.price)
        .num(x.orderQty)
        .num(x.lastQty)
        .num(x.lastPx)
        .num(x.cumQty)
        .num(x.leavesQty)
        .num(x.notional)
        .num(x.rejectReason)
        .num(x.cxlRejResponseTo)
        .str(x.text)
        .num(x.transactTime)
        .num(x.pairSeq)
        .str(x.eventId)
        .end();
    writes.push(copyStatement(`${schema}.executions`, EXECUTION_COLUMNS, ex.finish()));
  }
  if (p.accountSeqs.size) {
    writes.push(
      sql(
        `INSERT INTO ${schema}.account_seqs (account, last_seq) SELECT * FROM unnest($1::text[], $2::bigint[])
       ON CONFLICT (account) DO UPDATE SET last_seq = EXCLUDED.last_seq`,
        [[...p.accountSeqs.keys()], [...p.accountSeqs.values()]],
      ),
    );
  }
  if (p.trades.length) {
    const tr = new TextCopyRows();
    for (const x of p.trades)
      tr.str(x.symbol)
        .num(x.seq)
        .str(x.execId)
        .num(x.price)
        .num(x.qty)
        .str(x.aggressorSide)
        .num(x.transactTime)
        .end();
    writes.push(
      copyStatement(
        `${schema}.trades`,
        ["symbol", "seq", "exec_id", "price", "qty", "aggressor_side", "transact_time"],
        tr.finish(),
      ),
    );
  }
  const pos = [...p.positions.values()];
  if (pos.length) {
    writes.push(
      sql(
        `INSERT INTO ${schema}.positions (account, symbol, net_qty, cost, realised_pnl, bought_qty, sold_qty, updated_at)
       SELECT * FROM unnest($1::text[], $2::text[], $3::numeric[], $4::numeric[], $5::numeric[], $6::numeric[], $7::numeric[], $8::bigint[])
       ON CONFLICT (account, symbol) DO UPDATE SET net_qty = EXCLUDED.net_qty, cost = EXCLUDED.cost,
         realised_pnl = EXCLUDED.realised_pnl, bought_qty = EXCLUDED.bought_qty, sold_qty = EXCLUDED.sold_qty,
         updated_at = EXCLUDED.updated_at`,
        [
          pos.map((x) => x.account),
          pos.map((x) => x.symbol),
          pos.map((x) => s(x.netQty)),
          pos.map((x) => s(x.cost)),
          pos.map((x) => s(x.realisedPnl)),
          pos.map((x) => s(x.boughtQty)),
          pos.map((x) => s(x.soldQty)),
          pos.map((x) => s(x.updatedAt)),
        ],
      ),
    );
  }
  const bal = [...p.balances.values()];
  if (bal.length) {
    writes.push(
      sql(
        `INSERT INTO ${schema}.balances (account, currency, amount) SELECT * FROM unnest($1::text[], $2::text[], $3::numeric[])
       ON CONFLICT (account, currency) DO UPDATE SET amount = ${schema}.balances.amount + EXCLUDED.amount`,
        [bal.map((x) => x.account), bal.map((x) => x.currency), bal.map((x) => s(x.amount))],
      ),
    );
  }
  // Depth: net the batch's deltas per level first, then add; empty levels are removed.
  const levels = new Map<
    string,
    { symbol: string; side: string; price: number; qty: bigint; orders: number }
  >();
  for (const d of p.depth) {
    const k = `${d.symbol}|${d.side}|${d.price}`;
    const cur = levels.get(k);
    levels.set(k, { ...d, qty: (cur?.qty ?? 0n) + d.qty, orders: (cur?.orders ?? 0) + d.orders });
  }
  const dl = [...levels.values()].filter((l) => l.qty !== 0n || l.orders !== 0);
  if (dl.length) {
    writes.push(
      sql(
        `INSERT INTO ${schema}.depth (symbol, side, price, qty, orders)
       SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::numeric[], $5::int[])
       ON CONFLICT (symbol, side, price) DO UPDATE SET qty = ${schema}.depth.qty + EXCLUDED.qty,
         orders = ${schema}.depth.orders + EXCLUDED.orders`,
        [
          dl.map((l) => l.symbol),
          dl.map((l) => l.side),
          dl.map((l) => l.price),
          dl.map((l) => s(l.qty)),
          dl.map((l) => l.orders),
        ],
      ),
    );
    writes.push(
      sql(`DELETE FROM ${schema}.depth WHERE qty = 0 AND orders = 0 AND symbol = ANY($1)`, [
        [...new Set(dl.map((l) => l.symbol))],
      ]),
    );
  }
  const refs = [...p.referencePrices.values()];
  if (refs.length) {
    writes.push(
      sql(
        `INSERT INTO ${schema}.reference_prices AS r (symbol, price, seq, transact_time)
       SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[])
       ON CONFLICT (symbol) DO UPDATE SET price = EXCLUDED.price, seq = EXCLUDED.seq,
         transact_time = EXCLUDED.transact_time WHERE EXCLUDED.seq > r.seq`,
        [
          refs.map((x) => x.symbol),
          refs.map((x) => x.price),
          refs.map((x) => x.seq),
          refs.map((x) => s(x.transactTime)),
        ],
      ),
    );
  }
  // Exposure: net per (account, pair), add, drop rows back at zero (like depth).
  const exp = new Map<
    string,
    { account: string; symbol: string; notional: bigint; orders: number }
  >();
  for (const d of p.exposure) {
    const k = `${d.account}|${d.symbol}`;
    const cur = exp.get(k);
    exp.set(k, {
      ...d,
      notional: (cur?.notional ?? 0n) + d.notional,
      orders: (cur?.orders ?? 0) + d.orders,
    });
  }
  const ex = [...exp.values()].filter((x) => x.notional !== 0n || x.orders !== 0);
  if (ex.length) {
    writes.push(
      sql(
        `INSERT INTO ${schema}.open_exposure AS x (account, symbol, notional, orders)
       SELECT * FROM unnest($1::text[], $2::text[], $3::numeric[], $4::int[])
       ON CONFLICT (account, symbol) DO UPDATE SET notional = x.notional + EXCLUDED.notional,
         orders = x.orders + EXCLUDED.orders`,
        [
          ex.map((x) => x.account),
          ex.map((x) => x.symbol),
          ex.map((x) => s(x.notional)),
          ex.map((x) => x.orders),
        ],
      ),
    );
    writes.push(
      sql(
        `DELETE FROM ${schema}.open_exposure WHERE notional = 0 AND orders = 0 AND account = ANY($1)`,
        [[...new Set(ex.map((x) => x.account))]],
      ),
    );
  }
  const c = [...p.candles.values()];
  if (c.length) {
    writes.push(
      sql(
        `INSERT INTO ${schema}.candles AS k (symbol, interval, start_ns, open, high, low, close, volume, notional, trades, first_seq, last_seq)
       SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[],
         $8::numeric[], $9::numeric[], $10::int[], $11::bigint[], $12::bigint[])
       ON CONFLICT (symbol, interval, start_ns) DO UPDATE SET
         open = CASE WHEN EXCLUDED.first_seq < k.first_seq THEN EXCLUDED.open ELSE k.open END,
         close = CASE WHEN EXCLUDED.last_seq > k.last_seq THEN EXCLUDED.close ELSE k.close END,
         high = GREATEST(k.high, EXCLUDED.high), low = LEAST(k.low, EXCLUDED.low),
         volume = k.volume + EXCLUDED.volume, notional = k.notional + EXCLUDED.notional,
         trades = k.trades + EXCLUDED.trades, first_seq = LEAST(k.first_seq, EXCLUDED.first_seq),
         last_seq = GREATEST(k.last_seq, EXCLUDED.last_seq)`,
        [
          c.map((x) => x.symbol),
          c.map((x) => x.interval),
          c.map((x) => s(x.start)),
          c.map((x) => x.open),
          c.map((x) => x.high),
          c.map((x) => x.low),
          c.map((x) => x.close),
          c.map((x) => s(x.volume)),
          c.map((x) => s(x.notional)),
          c.map((x) => x.trades),
          c.map((x) => x.firstSeq),
          c.map((x) => x.lastSeq),
        ],
      ),
    );
  }
  return writes;
};
