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
import { build, type FixField, type FixMessage, fixMessage } from "../fix/message.ts";
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
  // Built field by field (no [tag, value] pair per field): one of these per order answered.
  const f: FixField[] = [];
  const add = (tag: number, value: string | number | null | undefined) => {
    if (value !== null && value !== undefined)
      f.push({ tag, value: typeof value === "string" ? value : String(value) });
  };
  add(Tag.MsgType, "8");
  add(Tag.OrderID, r.orderId ?? "NONE");
  add(Tag.ClOrdID, r.clOrdId);
  add(Tag.OrigClOrdID, r.origClOrdId);
  add(Tag.ExecID, r.execId ?? ctx.execId ?? `${r.orderId ?? r.clOrdId}-${r.execType}`);
  add(Tag.ExecType, r.execType);
  add(Tag.OrdStatus, r.ordStatus);
  add(Tag.OrdRejReason, r.ordRejReason);
  add(Tag.Account, r.account);
  add(Tag.Symbol, r.symbol);
  add(Tag.Side, SIDE[r.side]);
  add(Tag.OrdType, r.ordType === null ? null : ORD_TYPE[r.ordType]);
  add(Tag.Price, px(r.price));
  add(Tag.OrderQty, formatQty(r.orderQty));
  add(Tag.TimeInForce, r.timeInForce === null ? null : TIF[r.timeInForce]);
  add(Tag.ExpireTime, r.expireTime === null ? null : formatUtcTimestamp(r.expireTime));
  add(Tag.LastQty, r.lastQty === null ? null : formatQty(r.lastQty));
  add(Tag.LastPx, px(r.lastPx));
  add(Tag.LeavesQty, formatQty(r.leavesQty));
  add(Tag.CumQty, formatQty(r.cumQty));
  add(Tag.AvgPx, inst ? formatAvgPx(r.avgPx, inst.priceScale) : "0");
  add(Tag.OrdStatusReqID, ctx.ordStatusReqId ?? null);
  add(Tag.TransactTime, formatUtcTimestamp(r.transactTime));
  add(Tag.Text, r.text);
  return fixMessage(f);
};
