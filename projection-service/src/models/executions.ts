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

// Each report is built as one object literal of one shape, its sequence
// number included: no draft spread into a report per event (this runs for
// every report the projection writes).
const fromOrder = (
  o: OrderView,
  accountSeq: number,
  execId: string,
  execType: ExecType,
  eventId: string,
  at: bigint,
  pairSeq: number | null,
  lastQty: number | null,
  lastPx: number | null,
): ExecutionReport => ({
  account: o.account,
  accountSeq,
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
  lastQty,
  lastPx,
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
 * (`after(orderId)`) and each account's last sequence before it
 * (`seqs.lastAccountSeq`): an account's reports continue its gapless sequence (a
 * self-trade's two reports take the next two). ExecIDs: a trade gives each
 * side its own (`<execId>-M` maker, `<execId>-T` taker); any other report
 * uses the event id.
 */
export const reportsFor = (
  eventId: string,
  e: DomainEvent,
  after: (orderId: string) => OrderView | undefined,
  seqs: { lastAccountSeq(account: string): number },
): ExecutionReport[] => {
  switch (e.type) {
    case "OrderAccepted": {
      const o = after(e.orderId);
      if (!o) return [];
      return [
        {
          account: o.account,
          accountSeq: seqs.lastAccountSeq(o.account) + 1,
          execId: eventId,
          msgType: "8",
          execType: ExecType.New,
          ordStatus: "0",
          orderId: o.orderId,
          clOrdId: e.clOrdId,
          origClOrdId: null,
          symbol: o.symbol,
          side: o.side,
          ordType: o.ordType,
          price: e.price,
          orderQty: e.qty,
          lastQty: null,
          lastPx: null,
          cumQty: 0,
          leavesQty: e.qty,
          notional: 0n,
          rejectReason: null,
          cxlRejResponseTo: null,
          text: o.text,
          transactTime: e.transactTime,
          pairSeq: null,
          eventId,
        },
      ];
    }
    case "TradeExecuted": {
      const out: ExecutionReport[] = [];
      const fill = (o: OrderView, accountSeq: number, side: "M" | "T"): ExecutionReport =>
        fromOrder(
          o,
          accountSeq,
          `${e.execId}-${side}`,
          ExecType.Trade,
          eventId,
          e.transactTime,
          e.seq,
          e.qty,
          e.price,
        );
      const maker = after(e.makerOrderId);
      if (maker) out.push(fill(maker, seqs.lastAccountSeq(maker.account) + 1, "M"));
      const taker = after(e.takerOrderId);
      if (taker) {
        const seq =
          maker && maker.account === taker.account
            ? out[0]!.accountSeq + 1
            : seqs.lastAccountSeq(taker.account) + 1;
        out.push(fill(taker, seq, "T"));
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
      return o
        ? [
            fromOrder(
              o,
              seqs.lastAccountSeq(o.account) + 1,
              eventId,
              t,
              eventId,
              e.transactTime,
              e.seq,
              null,
              null,
            ),
          ]
        : [];
    }
    case "OrderRejected": {
      const o = e.orderId === null ? undefined : after(e.orderId);
      const account = o ? o.account : e.account;
      return [
        {
          account,
          accountSeq: seqs.lastAccountSeq(account) + 1,
          execId: eventId,
          msgType: "8",
          execType: ExecType.Rejected,
          ordStatus: o ? o.ordStatus : "8",
          orderId: o ? o.orderId : e.orderId,
          clOrdId: e.clOrdId,
          origClOrdId: o ? o.origClOrdId : null,
          symbol: o ? o.symbol : e.symbol,
          side: o ? o.side : e.side,
          ordType: o ? o.ordType : null,
          price: o ? o.price : null,
          orderQty: o ? o.orderQty : null,
          lastQty: null,
          lastPx: null,
          cumQty: o ? o.cumQty : 0,
          leavesQty: o ? o.leavesQty : 0,
          notional: o ? o.notional : 0n,
          rejectReason: e.reason,
          cxlRejResponseTo: null,
          text: e.text,
          transactTime: e.transactTime,
          pairSeq: e.seq ?? null,
          eventId,
        },
      ];
    }
    case "CancelRejected":
    case "ReplaceRejected": {
      const o = e.orderId === null ? undefined : after(e.orderId);
      return [
        {
          account: e.account,
          accountSeq: seqs.lastAccountSeq(e.account) + 1,
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
