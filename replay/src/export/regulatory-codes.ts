// Our events → regulatory order-event codes. One stable code of our own per
// event, plus the MiFIR RTS 24 (Annex, field 21 "new order, order
// modification, order cancellation, order rejections, partial or full
// execution") code per order the event concerns, and the closest US CAT
// Industry Member event. The table is written down in replay/README.md.
import type { DomainEvent } from "@fxcore/domain";

export type RegulatoryCode =
  | "NEW"
  | "REJECT"
  | "CANCEL_REQUEST"
  | "REPLACE_REQUEST"
  | "CANCEL"
  | "REPLACE"
  | "FILL"
  | "PARTIAL_FILL"
  | "EXPIRE"
  | "CANCEL_REJECT"
  | "REPLACE_REJECT"
  | "TIME";

/** RTS 24 field 21 codes we use (NEWO new, REME replaced by member, CAME cancelled by member, CAMO cancelled by operator/system, EXPI expired, PARF partial fill, FILL filled, REMO removed/rejected by operator). */
export type Rts24Code = "NEWO" | "REME" | "CAME" | "CAMO" | "EXPI" | "PARF" | "FILL" | "REMO";

export interface OrderCode {
  readonly orderId: string | null;
  readonly rts24: Rts24Code | null;
  /** Closest CAT Industry Member event type. */
  readonly cat: string;
}

export function regulatoryCode(e: DomainEvent): RegulatoryCode {
  switch (e.type) {
    case "OrderAccepted":
      return "NEW";
    case "OrderRejected":
      return "REJECT";
    case "OrderCancelRequested":
      return "CANCEL_REQUEST";
    case "OrderReplaceRequested":
      return "REPLACE_REQUEST";
    case "OrderCancelled":
      return "CANCEL";
    case "OrderReplaced":
      return "REPLACE";
    case "TradeExecuted":
      return e.takerLeavesQty === 0 && e.makerLeavesQty === 0 ? "FILL" : "PARTIAL_FILL";
    case "OrderExpired":
      return "EXPIRE";
    case "CancelRejected":
      return "CANCEL_REJECT";
    case "ReplaceRejected":
      return "REPLACE_REJECT";
    case "TimeAdvanced":
      return "TIME";
  }
}

/** Per order concerned; cancel/replace rejects and time ticks concern no order's status and get none. */
export function orderCodes(e: DomainEvent): readonly OrderCode[] {
  switch (e.type) {
    case "OrderAccepted":
      return [{ orderId: e.orderId, rts24: "NEWO", cat: "MENO" }];
    case "OrderRejected":
      return [{ orderId: e.orderId, rts24: "REMO", cat: "MEOC" }];
    case "OrderCancelled":
      return [{ orderId: e.orderId, rts24: "CAME", cat: "MEOC" }];
    case "OrderReplaced":
      return [{ orderId: e.orderId, rts24: "REME", cat: "MEOM" }];
    case "OrderExpired":
      // IOC/FOK/market remainders and self-trade prevention are venue actions; GTD/DAY are expiries.
      return [
        {
          orderId: e.orderId,
          rts24: e.reason === "GTD" || e.reason === "DAY" ? "EXPI" : "CAMO",
          cat: "MEOC",
        },
      ];
    case "TradeExecuted":
      return [
        { orderId: e.makerOrderId, rts24: e.makerLeavesQty === 0 ? "FILL" : "PARF", cat: "MEOT" },
        { orderId: e.takerOrderId, rts24: e.takerLeavesQty === 0 ? "FILL" : "PARF", cat: "MEOT" },
      ];
    // Requests change no status (RTS 24 records the outcome); CAT records the request itself.
    case "OrderCancelRequested":
      return [{ orderId: e.orderId, rts24: null, cat: "MECR" }];
    case "OrderReplaceRequested":
      return [{ orderId: e.orderId, rts24: null, cat: "MEMR" }];
    default:
      return [];
  }
}
