// The data dictionary's message half: which fields each message may carry,
// which are required, and the conditional rules (checked after the static ones;
// a conditional miss is a BusinessMessageReject 380=5, not a session Reject).

import { Tag } from "./fields.ts";

export interface Condition {
  /** The field that becomes required… */
  readonly tag: number;
  /** …when this field… */
  readonly when: number;
  /** …has one of these values. */
  readonly in: readonly string[];
}

export interface MessageDef {
  readonly msgType: string;
  readonly name: string;
  readonly direction: "in" | "out";
  readonly required: readonly number[];
  readonly optional: readonly number[];
  readonly conditional: readonly Condition[];
}

/** Session-level header fields: optional over HTTP, allowed on every message. */
export const HEADER_TAGS: readonly number[] = [
  Tag.BeginString,
  Tag.MsgType,
  49, // SenderCompID
  56, // TargetCompID
  Tag.MsgSeqNum,
  Tag.SendingTime,
  43, // PossDupFlag
  97, // PossResend
];

const T = Tag;

export const MESSAGES: readonly MessageDef[] = [
  {
    msgType: "D",
    name: "NewOrderSingle",
    direction: "in",
    required: [T.ClOrdID, T.Symbol, T.Side, T.TransactTime, T.OrderQty, T.OrdType],
    optional: [
      T.Account,
      T.Price,
      T.TimeInForce,
      T.ExpireTime,
      T.MinQty,
      T.ExecInst,
      T.Currency,
      T.Text,
    ],
    conditional: [
      { tag: T.Price, when: T.OrdType, in: ["2"] },
      { tag: T.ExpireTime, when: T.TimeInForce, in: ["6"] },
    ],
  },
  {
    msgType: "F",
    name: "OrderCancelRequest",
    direction: "in",
    required: [T.OrigClOrdID, T.ClOrdID, T.Symbol, T.Side, T.TransactTime],
    optional: [T.OrderID, T.Account, T.OrderQty, T.Text],
    conditional: [],
  },
  {
    msgType: "G",
    name: "OrderCancelReplaceRequest",
    direction: "in",
    required: [T.OrigClOrdID, T.ClOrdID, T.Symbol, T.Side, T.TransactTime, T.OrdType, T.OrderQty],
    optional: [T.OrderID, T.Account, T.Price, T.Text],
    conditional: [{ tag: T.Price, when: T.OrdType, in: ["2"] }],
  },
  {
    msgType: "H",
    name: "OrderStatusRequest",
    direction: "in",
    required: [T.ClOrdID, T.Symbol, T.Side],
    optional: [T.OrderID, T.Account, T.OrdStatusReqID],
    conditional: [],
  },
  {
    msgType: "8",
    name: "ExecutionReport",
    direction: "out",
    required: [
      T.OrderID,
      T.ExecID,
      T.ExecType,
      T.OrdStatus,
      T.Symbol,
      T.Side,
      T.LeavesQty,
      T.CumQty,
      T.AvgPx,
    ],
    optional: [
      T.ClOrdID,
      T.OrigClOrdID,
      T.Account,
      T.OrdType,
      T.Price,
      T.OrderQty,
      T.TimeInForce,
      T.ExpireTime,
      T.MinQty,
      T.ExecInst,
      T.LastQty,
      T.LastPx,
      T.TrdMatchID,
      T.OrdRejReason,
      T.OrdStatusReqID,
      T.TransactTime,
      T.Text,
    ],
    conditional: [
      { tag: T.OrdRejReason, when: T.ExecType, in: ["8"] },
      { tag: T.LastQty, when: T.ExecType, in: ["F"] },
      { tag: T.LastPx, when: T.ExecType, in: ["F"] },
    ],
  },
  {
    msgType: "9",
    name: "OrderCancelReject",
    direction: "out",
    required: [T.OrderID, T.ClOrdID, T.OrigClOrdID, T.OrdStatus, T.CxlRejResponseTo],
    optional: [T.Account, T.CxlRejReason, T.TransactTime, T.Text],
    conditional: [],
  },
  {
    msgType: "3",
    name: "Reject",
    direction: "out",
    // RefSeqNum is required in FIX; over HTTP there are no sequence numbers, so optional.
    required: [],
    optional: [T.RefSeqNum, T.RefTagID, T.RefMsgType, T.SessionRejectReason, T.Text],
    conditional: [],
  },
  {
    msgType: "j",
    name: "BusinessMessageReject",
    direction: "out",
    required: [T.RefMsgType, T.BusinessRejectReason],
    optional: [T.RefSeqNum, T.BusinessRejectRefID, T.Text],
    conditional: [],
  },
];

export const MESSAGE_BY_TYPE: ReadonlyMap<string, MessageDef> = new Map(
  MESSAGES.map((m) => [m.msgType, m]),
);

/** Standard FIX application messages this venue does not take: 380=3, not 373=11. */
export const OTHER_FIX_MSG_TYPES: ReadonlySet<string> = new Set([
  "0",
  "1",
  "2",
  "4",
  "5",
  "A", // session messages have no meaning over HTTP
  "E",
  "Q",
  "R",
  "S",
  "V",
  "W",
  "X",
  "Y",
  "AB",
  "AC",
  "AE",
  "AF",
  "AN",
  "AP",
  "BE",
  "q",
  "r",
  "x",
  "y",
]);
