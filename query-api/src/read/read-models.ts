// SQL over the read models through the `rm` views (the active version).
import type { PgPool } from "@fxcore/infra";
import type { Row } from "./present.ts";

export interface OrderFilter {
  readonly accounts: string[] | null;
  readonly symbol?: string;
  readonly status?: string;
  readonly fromNs?: bigint;
  readonly toNs?: bigint;
  /** row_id of the last order of the previous page (newest first). */
  readonly beforeRowId?: number;
  readonly limit: number;
}

export class ReadModels {
  readonly #pool: PgPool;
  constructor(pool: PgPool) {
    this.#pool = pool;
  }

  async orders(f: OrderFilter): Promise<Row[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    const arg = (v: unknown) => {
      args.push(v);
      return `$${args.length}`;
    };
    if (f.accounts !== null) where.push(`account = ANY(${arg(f.accounts)})`);
    if (f.symbol) where.push(`symbol = ${arg(f.symbol)}`);
    if (f.status) where.push(`ord_status = ${arg(f.status)}`);
    if (f.fromNs !== undefined) where.push(`updated_at >= ${arg(f.fromNs.toString())}`);
    if (f.toNs !== undefined) where.push(`updated_at < ${arg(f.toNs.toString())}`);
    if (f.beforeRowId !== undefined) where.push(`row_id < ${arg(f.beforeRowId)}`);
    const sql = `SELECT * FROM rm.orders ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY row_id DESC LIMIT ${arg(f.limit + 1)}`;
    return (await this.#pool.query<Row>(sql, args)).rows;
  }

  async order(orderId: string): Promise<Row | undefined> {
    return (await this.#pool.query<Row>("SELECT * FROM rm.orders WHERE order_id = $1", [orderId]))
      .rows[0];
  }

  async orderByClOrdId(account: string, clOrdId: string): Promise<Row | undefined> {
    return (
      await this.#pool.query<Row>(
        "SELECT o.* FROM rm.order_cl_ord_ids l JOIN rm.orders o USING (order_id) WHERE l.account = $1 AND l.cl_ord_id = $2",
        [account, clOrdId],
      )
    ).rows[0];
  }

  async orderExecutions(orderId: string): Promise<Row[]> {
    return (
      await this.#pool.query<Row>(
        "SELECT * FROM rm.executions WHERE order_id = $1 ORDER BY account_seq",
        [orderId],
      )
    ).rows;
  }

  async executionsSince(account: string, sinceSeq: number, limit: number): Promise<Row[]> {
    return (
      await this.#pool.query<Row>(
        "SELECT * FROM rm.executions WHERE account = $1 AND account_seq > $2 ORDER BY account_seq LIMIT $3",
        [account, sinceSeq, limit],
      )
    ).rows;
  }

  /** Newest first below `beforeSeq`, or oldest first above `sinceSeq`. */
  async trades(
    symbol: string,
    page: { beforeSeq?: number; sinceSeq?: number; limit: number },
  ): Promise<Row[]> {
    if (page.sinceSeq !== undefined) {
      return (
        await this.#pool.query<Row>(
          "SELECT * FROM rm.trades WHERE symbol = $1 AND seq > $2 ORDER BY seq LIMIT $3",
          [symbol, page.sinceSeq, page.limit],
        )
      ).rows;
    }
    return (
      await this.#pool.query<Row>(
        "SELECT * FROM rm.trades WHERE symbol = $1 AND seq < $2 ORDER BY seq DESC LIMIT $3",
        [symbol, page.beforeSeq ?? Number.MAX_SAFE_INTEGER, page.limit],
      )
    ).rows;
  }

  async positions(account: string): Promise<{ positions: Row[]; balances: Row[] }> {
    const positions = (
      await this.#pool.query<Row>("SELECT * FROM rm.positions WHERE account = $1 ORDER BY symbol", [
        account,
      ])
    ).rows;
    const balances = (
      await this.#pool.query<Row>(
        "SELECT * FROM rm.balances WHERE account = $1 ORDER BY currency",
        [account],
      )
    ).rows;
    return { positions, balances };
  }

  async depth(symbol: string, levels: number): Promise<{ bids: Row[]; asks: Row[] }> {
    const bids = (
      await this.#pool.query<Row>(
        "SELECT * FROM rm.depth WHERE symbol = $1 AND side = 'BUY' AND qty > 0 ORDER BY price DESC LIMIT $2",
        [symbol, levels],
      )
    ).rows;
    const asks = (
      await this.#pool.query<Row>(
        "SELECT * FROM rm.depth WHERE symbol = $1 AND side = 'SELL' AND qty > 0 ORDER BY price ASC LIMIT $2",
        [symbol, levels],
      )
    ).rows;
    return { bids, asks };
  }

  async candles(
    symbol: string,
    interval: string,
    fromNs: bigint,
    toNs: bigint,
    limit: number,
  ): Promise<Row[]> {
    return (
      await this.#pool.query<Row>(
        "SELECT * FROM rm.candles WHERE symbol = $1 AND interval = $2 AND start_ns >= $3 AND start_ns < $4 ORDER BY start_ns LIMIT $5",
        [symbol, interval, fromNs.toString(), toNs.toString(), limit],
      )
    ).rows;
  }

  /** Has the projection applied the event at this event-store position? (read-your-writes) */
  async reached(position: bigint): Promise<boolean> {
    const { rows } = await this.#pool.query<{ ok: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM es_events e JOIN rm.processed_events p ON p.event_id = e.event_id::text
                      WHERE e.global_position = $1) AS ok`,
      [position.toString()],
    );
    return rows[0]?.ok === true;
  }
}
