// Executions read model: every ExecutionReport (and OrderCancelReject) an
// account receives, each with a unique ExecID and the account's gapless
// sequence — the cursor clients resume from (SSE Last-Event-ID).
import { type DomainEvent, ExecType, type OrdStatus } from "@fxcore/domain";
import type { OrderView } from "./orders.ts";

/** 8 = ExecutionReport, 9 = OrderCancelReject. */
export type MsgType = "8" | "9";

export interface ExecutionReport {
  readonly account: string;
  /** Gapless per account, from 1. */
  readonly accountSeq: number;
  readonly execId: string;
  readonly msgType: MsgType;
  /** null for OrderCancelReject. */
  readonly execType: ExecType | null;
  readonly ordStatus: OrdStatus | null;
  readonly orderId: string | null;
  readonly clOrdId: string;
  readonly origClOrdId: string | null;
  readonly symbol: string;
  readonly side: string | null;
  readonly ordType: string | null;
  readonly price: number | null;
  readonly orderQty: number | null;
  readonly lastQty: number | null;
  readonly lastPx: number | null;
  readonly cumQty: number;
  readonly leavesQty: number;
  /** AvgPx = notional / cumQty (ticks), exact. */
  readonly notional: bigint;
  /** OrdRejReason (103) or CxlRejReason (102); null otherwise. */
  readonly rejectReason: number | null;
  /** CxlRejResponseTo (434): 1 cancel, 2 replace. */
  readonly cxlRejResponseTo: 1 | 2 | null;
  readonly text: string | null;
  readonly transactTime: bigint;
  readonly pairSeq: number | null;
  readonly eventId: string;
}

export type ReportDraft = Omit<ExecutionReport, "accountSeq">;

const fromOrder = (
  o: OrderView,
  execId: string,
  execType: ExecType,
  eventId: string,
  at: bigint,
  pairSeq: number | null,
): ReportDraft => ({
  account: o.account,
  execId,
  msgType: "8",
  execType,
  ordStatus: o.ordStatus,
  orderId: o.orderId,
  clOrdId: o.clOrdId,
  origClOrdId: o.origClOrdId,
  symbol: o.symbol,
  side: o.side,
  ordType: o.ordType,
  price: o.price,
  orderQty: o.orderQty,
  lastQty: null,
  lastPx: null,
  cumQty: o.cumQty,
  leavesQty: o.leavesQty,
  notional: o.notional,
  rejectReason: null,
  cxlRejResponseTo: null,
  text: o.text,
  transactTime: at,
  pairSeq,
  eventId,
});

/**
 * The reports `e` produces, given the orders it touched as they are after it
 * (`after(orderId)`). ExecIDs: a trade gives each side its own
 * (`<execId>-M` maker, `<execId>-T` taker); any other report uses the event id.
 */
export const reportsFor = (
  eventId: string,
  e: DomainEvent,
  after: (orderId: string) => OrderView | undefined,
): ReportDraft[] => {
  switch (e.type) {
    case "OrderAccepted": {
      const o = after(e.orderId);
      return o
        ? [
            fromOrder(
              {
                ...o,
                ordStatus: "0",
                cumQty: 0,
                leavesQty: e.qty,
                notional: 0n,
                clOrdId: e.clOrdId,
                origClOrdId: null,
                price: e.price,
                orderQty: e.qty,
              },
              eventId,
              ExecType.New,
              eventId,
              e.transactTime,
              null,
            ),
          ]
        : [];
    }
    case "TradeExecuted": {
      const out: ReportDraft[] = [];
      for (const [id, suffix] of [
        [e.makerOrderId, "M"],
        [e.takerOrderId, "T"],
      ] as const) {
        const o = after(id);
        if (!o) continue;
        out.push({
          ...fromOrder(o, `${e.execId}-${suffix}`, ExecType.Trade, eventId, e.transactTime, e.seq),
          lastQty: e.qty,
          lastPx: e.price,
        });
      }
      return out;
    }
    case "OrderCancelled":
    case "OrderExpired":
    case "OrderReplaced": {
      const o = after(e.orderId);
      const t =
        e.type === "OrderCancelled"
          ? ExecType.Canceled
          : e.type === "OrderExpired"
            ? ExecType.Expired
            : ExecType.Replaced;
      return o ? [fromOrder(o, eventId, t, eventId, e.transactTime, e.seq)] : [];
    }
    case "OrderRejected": {
      const o = e.orderId === null ? undefined : after(e.orderId);
      const base: ReportDraft = o
        ? fromOrder(o, eventId, ExecType.Rejected, eventId, e.transactTime, e.seq ?? null)
        : {
            account: e.account,
            execId: eventId,
            msgType: "8",
            execType: ExecType.Rejected,
            ordStatus: "8",
            orderId: e.orderId,
            clOrdId: e.clOrdId,
            origClOrdId: null,
            symbol: e.symbol,
            side: e.side,
            ordType: null,
            price: null,
            orderQty: null,
            lastQty: null,
            lastPx: null,
            cumQty: 0,
            leavesQty: 0,
            notional: 0n,
            rejectReason: null,
            cxlRejResponseTo: null,
            text: null,
            transactTime: e.transactTime,
            pairSeq: e.seq ?? null,
            eventId,
          };
      return [{ ...base, clOrdId: e.clOrdId, rejectReason: e.reason, text: e.text }];
    }
    case "CancelRejected":
    case "ReplaceRejected": {
      const o = e.orderId === null ? undefined : after(e.orderId);
      return [
        {
          account: e.account,
          execId: eventId,
          msgType: "9",
          execType: null,
          ordStatus: o?.ordStatus ?? null,
          orderId: e.orderId,
          clOrdId: e.clOrdId,
          origClOrdId: e.origClOrdId,
          symbol: e.symbol,
          side: o?.side ?? null,
          ordType: o?.ordType ?? null,
          price: o?.price ?? null,
          orderQty: o?.orderQty ?? null,
          lastQty: null,
          lastPx: null,
          cumQty: o?.cumQty ?? 0,
          leavesQty: o?.leavesQty ?? 0,
          notional: o?.notional ?? 0n,
          rejectReason: e.reason,
          cxlRejResponseTo: e.type === "CancelRejected" ? 1 : 2,
          text: e.text,
          transactTime: e.transactTime,
          pairSeq: e.seq ?? null,
          eventId,
        },
      ];
    }
    default:
      return [];
  }
};

/** Stamps drafts with each account's next sequence numbers; returns the reports and the new counters. */
export const sequence = (
  drafts: readonly ReportDraft[],
  lastSeq: (account: string) => number,
): { reports: ExecutionReport[]; counters: Map<string, number> } => {
  const counters = new Map<string, number>();
  const reports = drafts.map((d) => {
    const next = (counters.get(d.account) ?? lastSeq(d.account)) + 1;
    counters.set(d.account, next);
    return { ...d, accountSeq: next };
  });
  return { reports, counters };
};
