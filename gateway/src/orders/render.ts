// The domain's reports (tick/unit numbers) → FIX messages (decimal strings),
// using the instrument's scale. The one place outbound 8s and 9s are built.

import {
  type FixReport,
  type InstrumentCatalog,
  type OrdType,
  type PriceTicks,
  type Side,
  type Symbol,
  type TimeInForce,
  formatAvgPx,
  formatPrice,
  formatQty,
} from "@fxcore/domain";
import { Tag } from "../fix/fields.ts";
import { build, type FixMessage } from "../fix/message.ts";
import { formatUtcTimestamp } from "../fix/timestamp.ts";

const SIDE: Readonly<Record<Side, string>> = { BUY: "1", SELL: "2" };
const ORD_TYPE: Readonly<Record<OrdType, string>> = { MARKET: "1", LIMIT: "2" };
const TIF: Readonly<Record<TimeInForce, string>> = {
  DAY: "0",
  GTC: "1",
  IOC: "3",
  FOK: "4",
  GTD: "6",
};

export interface RenderContext {
  readonly catalog: InstrumentCatalog;
  /** ExecID for reports whose event has none of its own (all but trades): the command side's event id. */
  readonly execId?: string;
  /** Echoed on status answers (790). */
  readonly ordStatusReqId?: string | null;
}

export const renderReport = (r: FixReport, ctx: RenderContext): FixMessage => {
  if (r.msgType === "9") {
    return build([
      [Tag.MsgType, "9"],
      [Tag.OrderID, r.orderId ?? "NONE"],
      [Tag.ClOrdID, r.clOrdId],
      [Tag.OrigClOrdID, r.origClOrdId],
      [Tag.OrdStatus, r.ordStatus],
      [Tag.Account, r.account],
      [Tag.CxlRejResponseTo, r.cxlRejResponseTo],
      [Tag.CxlRejReason, r.cxlRejReason],
      [Tag.TransactTime, formatUtcTimestamp(r.transactTime)],
      [Tag.Text, r.text],
    ]);
  }
  const inst = ctx.catalog.get(r.symbol as Symbol);
  const px = (p: PriceTicks | null) => (p === null || !inst ? null : formatPrice(p, inst));
  return build([
    [Tag.MsgType, "8"],
    [Tag.OrderID, r.orderId ?? "NONE"],
    [Tag.ClOrdID, r.clOrdId],
    [Tag.OrigClOrdID, r.origClOrdId],
    [Tag.ExecID, r.execId ?? ctx.execId ?? `${r.orderId ?? r.clOrdId}-${r.execType}`],
    [Tag.ExecType, r.execType],
    [Tag.OrdStatus, r.ordStatus],
    [Tag.OrdRejReason, r.ordRejReason],
    [Tag.Account, r.account],
    [Tag.Symbol, r.symbol],
    [Tag.Side, SIDE[r.side]],
    [Tag.OrdType, r.ordType === null ? null : ORD_TYPE[r.ordType]],
    [Tag.Price, px(r.price)],
    [Tag.OrderQty, formatQty(r.orderQty)],
    [Tag.TimeInForce, r.timeInForce === null ? null : TIF[r.timeInForce]],
    [Tag.ExpireTime, r.expireTime === null ? null : formatUtcTimestamp(r.expireTime)],
    [Tag.LastQty, r.lastQty === null ? null : formatQty(r.lastQty)],
    [Tag.LastPx, px(r.lastPx)],
    [Tag.LeavesQty, formatQty(r.leavesQty)],
    [Tag.CumQty, formatQty(r.cumQty)],
    [Tag.AvgPx, inst ? formatAvgPx(r.avgPx, inst.priceScale) : "0"],
    [Tag.OrdStatusReqID, ctx.ordStatusReqId ?? null],
    [Tag.TransactTime, formatUtcTimestamp(r.transactTime)],
    [Tag.Text, r.text],
  ]);
};
