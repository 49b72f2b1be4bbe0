// The domain's reports (tick/unit numbers) → FIX messages (decimal strings),
// using the instrument's scale. The one place outbound 8s and 9s are built.

import {
  type FixReport,
  type Instrument,
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

const priceText = (p: PriceTicks | null, inst: Instrument | undefined): string | null =>
  p === null || !inst ? null : formatPrice(p, inst);

const addField = (f: FixField[], tag: number, value: string | number | null | undefined) => {
  if (value !== null && value !== undefined)
    f.push({ tag, value: typeof value === "string" ? value : String(value) });
};

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
  // Built field by field (no [tag, value] pair, no closure): one of these per order answered.
  const f: FixField[] = [];
  addField(f, Tag.MsgType, "8");
  addField(f, Tag.OrderID, r.orderId ?? "NONE");
  addField(f, Tag.ClOrdID, r.clOrdId);
  addField(f, Tag.OrigClOrdID, r.origClOrdId);
  addField(f, Tag.ExecID, r.execId ?? ctx.execId ?? `${r.orderId ?? r.clOrdId}-${r.execType}`);
  addField(f, Tag.ExecType, r.execType);
  addField(f, Tag.OrdStatus, r.ordStatus);
  addField(f, Tag.OrdRejReason, r.ordRejReason);
  addField(f, Tag.Account, r.account);
  addField(f, Tag.Symbol, r.symbol);
  addField(f, Tag.Side, SIDE[r.side]);
  addField(f, Tag.OrdType, r.ordType === null ? null : ORD_TYPE[r.ordType]);
  addField(f, Tag.Price, priceText(r.price, inst));
  addField(f, Tag.OrderQty, formatQty(r.orderQty));
  addField(f, Tag.TimeInForce, r.timeInForce === null ? null : TIF[r.timeInForce]);
  addField(f, Tag.ExpireTime, r.expireTime === null ? null : formatUtcTimestamp(r.expireTime));
  addField(f, Tag.LastQty, r.lastQty === null ? null : formatQty(r.lastQty));
  addField(f, Tag.LastPx, priceText(r.lastPx, inst));
  addField(f, Tag.LeavesQty, formatQty(r.leavesQty));
  addField(f, Tag.CumQty, formatQty(r.cumQty));
  addField(f, Tag.AvgPx, inst ? formatAvgPx(r.avgPx, inst.priceScale) : "0");
  addField(f, Tag.OrdStatusReqID, ctx.ordStatusReqId ?? null);
  addField(f, Tag.TransactTime, formatUtcTimestamp(r.transactTime));
  addField(f, Tag.Text, r.text);
  return fixMessage(f);
};
