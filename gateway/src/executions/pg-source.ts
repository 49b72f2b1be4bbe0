// ExecutionSource over the read model projection-service maintains
// (rm.executions, read-only here), rendered with the instrument catalog.

import type {
  AccountId,
  ClOrdId,
  CxlRejReason,
  ExecType,
  FixReport,
  InstrumentCatalog,
  Notional,
  OrderId,
  OrdRejReason,
  OrdStatus,
  OrdType,
  PriceTicks,
  Qty,
  Side,
  TimestampNs,
} from "@fxcore/domain";
import type { PgClient, PgPool } from "@fxcore/infra";
import { renderReport } from "../orders/render.ts";
import type { ExecutionRecord, ExecutionSource } from "./source.ts";

interface Row {
  account: string;
  account_seq: string;
  exec_id: string;
  msg_type: "8" | "9";
  exec_type: string | null;
  ord_status: string | null;
  order_id: string | null;
  cl_ord_id: string;
  orig_cl_ord_id: string | null;
  symbol: string;
  side: string | null;
  ord_type: string | null;
  price: string | null;
  order_qty: string | null;
  last_qty: string | null;
  last_px: string | null;
  cum_qty: string;
  leaves_qty: string;
  notional: string;
  reject_reason: number | null;
  cxl_rej_response_to: number | null;
  text: string | null;
  transact_time: string;
}

const num = (s: string | null): number | null => (s === null ? null : Number(s));

export const rowToReport = (r: Row): FixReport =>
  r.msg_type === "9"
    ? {
        msgType: "9",
        orderId: r.order_id as OrderId | null,
        clOrdId: r.cl_ord_id as ClOrdId,
        origClOrdId: (r.orig_cl_ord_id ?? "") as ClOrdId,
        ordStatus: (r.ord_status ?? "8") as OrdStatus,
        cxlRejResponseTo: r.cxl_rej_response_to === 2 ? "2" : "1",
        cxlRejReason: (r.reject_reason ?? 99) as CxlRejReason,
        account: r.account as AccountId,
        symbol: r.symbol,
        text: r.text ?? "",
        transactTime: BigInt(r.transact_time) as TimestampNs,
      }
    : {
        msgType: "8",
        orderId: r.order_id as OrderId | null,
        clOrdId: r.cl_ord_id as ClOrdId,
        origClOrdId: r.orig_cl_ord_id as ClOrdId | null,
        execId: null,
        execType: r.exec_type as ExecType,
        ordStatus: r.ord_status as OrdStatus,
        account: r.account as AccountId,
        symbol: r.symbol,
        side: (r.side ?? "BUY") as Side,
        ordType: r.ord_type as OrdType | null,
        price: num(r.price) as PriceTicks | null,
        orderQty: (num(r.order_qty) ?? 0) as Qty,
        timeInForce: null,
        expireTime: null,
        lastQty: num(r.last_qty) as Qty | null,
        lastPx: num(r.last_px) as PriceTicks | null,
        cumQty: Number(r.cum_qty) as Qty,
        leavesQty: Number(r.leaves_qty) as Qty,
        avgPx: {
          tradedNotional: BigInt(r.notional.split(".")[0]!) as Notional,
          cumQty: Number(r.cum_qty) as Qty,
        },
        ordRejReason: r.exec_type === "8" ? ((r.reject_reason ?? 99) as OrdRejReason) : null,
        text: r.text,
        transactTime: BigInt(r.transact_time) as TimestampNs,
      };

/** projection-service NOTIFYs this channel with {"accounts":[…]} (or {"all":true}) after each committed batch. */
const NOTIFY_CHANNEL = "fx_read_models";

/**
 * One LISTEN connection for the whole process, fanned out to every stream;
 * reconnects after a second when the connection drops.
 */
const notifications = (pool: PgPool) => {
  const listeners = new Set<(accounts: readonly string[] | null) => void>();
  /** The live LISTEN connection and the one way to give it back. */
  let client: { readonly c: PgClient; readonly drop: (broken: boolean) => void } | null = null;
  let connecting = false;
  const emit = (accounts: readonly string[] | null) => {
    for (const l of listeners) l(accounts);
  };
  const connect = async () => {
    if (client || connecting || listeners.size === 0) return;
    connecting = true;
    let c: PgClient | undefined;
    let released = false;
    const drop = (broken: boolean) => {
      if (released || !c) return;
      released = true;
      c.release(broken);
      if (client?.c === c) client = null;
    };
    try {
      c = await pool.connect();
      const mine = c;
      mine.on("notification", (n) => {
        try {
          const p = JSON.parse(n.payload ?? "{}") as { accounts?: string[]; all?: boolean };
          emit(p.all || !Array.isArray(p.accounts) ? null : p.accounts);
        } catch {
          emit(null);
        }
      });
      mine.on("error", () => {
        const wasActive = client?.c === mine;
        drop(true);
        if (wasActive) {
          emit(null); // whatever was missed is read by the next poll
          setTimeout(() => void connect(), 1_000).unref();
        }
      });
      await mine.query(`LISTEN ${NOTIFY_CHANNEL}`);
      if (listeners.size === 0) {
        // Everyone left while we connected: do not keep (and leak) the connection.
        await mine.query(`UNLISTEN ${NOTIFY_CHANNEL}`).catch(() => {});
        drop(false);
        return;
      }
      client = { c: mine, drop };
    } catch {
      drop(true);
      setTimeout(() => void connect(), 1_000).unref();
    } finally {
      connecting = false;
    }
  };
  return (listener: (accounts: readonly string[] | null) => void) => {
    listeners.add(listener);
    void connect();
    return () => {
      listeners.delete(listener);
      if (listeners.size === 0 && client) {
        const { c, drop } = client;
        client = null;
        void c.query(`UNLISTEN ${NOTIFY_CHANNEL}`).then(
          () => drop(false),
          () => drop(true),
        );
      }
    };
  };
};

export const pgExecutionSource = (
  pool: PgPool,
  catalog: InstrumentCatalog,
  schema = "rm",
): ExecutionSource => ({
  changes: notifications(pool),
  async after(account, afterSeq, limit) {
    const { rows } = await pool.query<Row>(
      `SELECT account, account_seq::text, exec_id, msg_type, exec_type, ord_status, order_id, cl_ord_id,
              orig_cl_ord_id, symbol, side, ord_type, price::text, order_qty::text, last_qty::text,
              last_px::text, cum_qty::text, leaves_qty::text, notional::text, reject_reason,
              cxl_rej_response_to, text, transact_time::text
         FROM ${schema}.executions WHERE account = $1 AND account_seq > $2
        ORDER BY account_seq LIMIT $3`,
      [account, afterSeq, limit],
    );
    return rows.map(
      (r): ExecutionRecord => ({
        account: r.account,
        accountSeq: Number(r.account_seq),
        report: renderReport(rowToReport(r), { catalog, execId: r.exec_id }),
      }),
    );
  },
  async ready() {
    try {
      await pool.query(`SELECT 1 FROM ${schema}.executions LIMIT 0`);
      return true;
    } catch {
      return false;
    }
  },
});
