// The FIX fields the gateway speaks: tag, FIX Repository name, data type and,
// where the venue restricts them, the enum values it accepts. Enums list only
// what this venue supports: anything else is "value out of range" (373=5).

export type FieldType =
  | "STRING"
  | "CHAR"
  | "INT"
  | "SEQNUM"
  | "LENGTH"
  | "QTY"
  | "PRICE"
  | "UTCTIMESTAMP"
  | "BOOLEAN"
  | "CURRENCY"
  | "MULTIPLECHARVALUE";

export interface FieldDef {
  readonly tag: number;
  readonly name: string;
  readonly type: FieldType;
  /** FIX value → description; absent when any well-formed value is allowed. */
  readonly values?: Readonly<Record<string, string>>;
}

const f = (
  tag: number,
  name: string,
  type: FieldType,
  values?: Record<string, string>,
): FieldDef => (values ? { tag, name, type, values } : { tag, name, type });

export const FIELDS: readonly FieldDef[] = [
  f(1, "Account", "STRING"),
  f(6, "AvgPx", "PRICE"),
  f(8, "BeginString", "STRING", { "FIX.4.4": "FIX 4.4", "FIXT.1.1": "FIXT 1.1 (FIX 5.0)" }),
  f(9, "BodyLength", "LENGTH"),
  f(10, "CheckSum", "STRING"),
  f(11, "ClOrdID", "STRING"),
  f(14, "CumQty", "QTY"),
  f(15, "Currency", "CURRENCY"),
  f(17, "ExecID", "STRING"),
  f(18, "ExecInst", "MULTIPLECHARVALUE", { "6": "ParticipateDontInitiate (post-only)" }),
  f(31, "LastPx", "PRICE"),
  f(32, "LastQty", "QTY"),
  f(34, "MsgSeqNum", "SEQNUM"),
  f(35, "MsgType", "STRING"),
  f(37, "OrderID", "STRING"),
  f(38, "OrderQty", "QTY"),
  f(39, "OrdStatus", "CHAR", {
    "0": "New",
    "1": "PartiallyFilled",
    "2": "Filled",
    "4": "Canceled",
    "6": "PendingCancel",
    "8": "Rejected",
    A: "PendingNew",
    C: "Expired",
    E: "PendingReplace",
  }),
  f(40, "OrdType", "CHAR", { "1": "Market", "2": "Limit" }),
  f(41, "OrigClOrdID", "STRING"),
  f(43, "PossDupFlag", "BOOLEAN"),
  f(44, "Price", "PRICE"),
  f(45, "RefSeqNum", "SEQNUM"),
  f(49, "SenderCompID", "STRING"),
  f(52, "SendingTime", "UTCTIMESTAMP"),
  f(54, "Side", "CHAR", { "1": "Buy", "2": "Sell" }),
  f(55, "Symbol", "STRING"),
  f(56, "TargetCompID", "STRING"),
  f(58, "Text", "STRING"),
  f(59, "TimeInForce", "CHAR", {
    "0": "Day",
    "1": "GoodTillCancel",
    "3": "ImmediateOrCancel",
    "4": "FillOrKill",
    "6": "GoodTillDate",
  }),
  f(60, "TransactTime", "UTCTIMESTAMP"),
  f(97, "PossResend", "BOOLEAN"),
  f(102, "CxlRejReason", "INT", {
    "0": "TooLateToCancel",
    "1": "UnknownOrder",
    "3": "OrderAlreadyInPendingStatus",
    "6": "DuplicateClOrdID",
    "99": "Other",
  }),
  f(103, "OrdRejReason", "INT", {
    "1": "UnknownSymbol",
    "2": "ExchangeClosed",
    "3": "OrderExceedsLimit",
    "6": "DuplicateOrder",
    "11": "UnsupportedOrderCharacteristic",
    "13": "IncorrectQuantity",
    "15": "UnknownAccount",
    "99": "Other",
  }),
  f(110, "MinQty", "QTY"),
  f(126, "ExpireTime", "UTCTIMESTAMP"),
  f(150, "ExecType", "CHAR", {
    "0": "New",
    "4": "Canceled",
    "5": "Replaced",
    "6": "PendingCancel",
    "8": "Rejected",
    A: "PendingNew",
    C: "Expired",
    E: "PendingReplace",
    F: "Trade",
    I: "OrderStatus",
  }),
  f(151, "LeavesQty", "QTY"),
  f(371, "RefTagID", "INT"),
  f(372, "RefMsgType", "STRING"),
  f(373, "SessionRejectReason", "INT", {
    "0": "InvalidTagNumber",
    "1": "RequiredTagMissing",
    "2": "TagNotDefinedForThisMessageType",
    "4": "TagSpecifiedWithoutAValue",
    "5": "ValueIsIncorrect",
    "6": "IncorrectDataFormatForValue",
    "11": "InvalidMsgType",
    "13": "TagAppearsMoreThanOnce",
    "14": "TagSpecifiedOutOfRequiredOrder",
    "99": "Other",
  }),
  f(379, "BusinessRejectRefID", "STRING"),
  f(380, "BusinessRejectReason", "INT", {
    "0": "Other",
    "1": "UnknownID",
    "3": "UnsupportedMessageType",
    "4": "ApplicationNotAvailable",
    "5": "ConditionallyRequiredFieldMissing",
    "6": "NotAuthorized",
    "8": "ThrottleLimitExceeded",
  }),
  f(434, "CxlRejResponseTo", "CHAR", {
    "1": "OrderCancelRequest",
    "2": "OrderCancelReplaceRequest",
  }),
  f(790, "OrdStatusReqID", "STRING"),
  f(880, "TrdMatchID", "STRING"),
];

export const FIELD_BY_TAG: ReadonlyMap<number, FieldDef> = new Map(FIELDS.map((d) => [d.tag, d]));
export const FIELD_BY_NAME: ReadonlyMap<string, FieldDef> = new Map(FIELDS.map((d) => [d.name, d]));

/**
 * Standard FIX tags this venue does not use. Sending one is "tag not defined
 * for this message type" (373=2) rather than "invalid tag number" (373=0),
 * and FIX JSON can still name them.
 */
export const OTHER_FIX_TAGS: ReadonlyMap<number, string> = new Map([
  [7, "BeginSeqNo"],
  [16, "EndSeqNo"],
  [19, "ExecRefID"],
  [21, "HandlInst"],
  [22, "SecurityIDSource"],
  [48, "SecurityID"],
  [63, "SettlType"],
  [64, "SettlDate"],
  [99, "StopPx"],
  [111, "MaxFloor"],
  [115, "OnBehalfOfCompID"],
  [122, "OrigSendingTime"],
  [128, "DeliverToCompID"],
  [167, "SecurityType"],
  [207, "SecurityExchange"],
  [453, "NoPartyIDs"],
  [448, "PartyID"],
  [447, "PartyIDSource"],
  [452, "PartyRole"],
  [1128, "ApplVerID"],
]);

const OTHER_BY_NAME: ReadonlyMap<string, number> = new Map(
  [...OTHER_FIX_TAGS].map(([tag, name]) => [name, tag]),
);

/** The FIX JSON key of a tag: its Repository name, or the decimal tag when it has none here. */
export const nameOfTag = (tag: number): string =>
  FIELD_BY_TAG.get(tag)?.name ?? OTHER_FIX_TAGS.get(tag) ?? String(tag);

/** Inverse of nameOfTag; null for a name that is neither known nor a decimal tag. */
export const tagOfName = (name: string): number | null => {
  const known = FIELD_BY_NAME.get(name)?.tag ?? OTHER_BY_NAME.get(name);
  if (known !== undefined) return known;
  return /^[1-9][0-9]{0,8}$/.test(name) ? Number(name) : null;
};

export const Tag = {
  Account: 1,
  AvgPx: 6,
  BeginString: 8,
  BodyLength: 9,
  CheckSum: 10,
  ClOrdID: 11,
  CumQty: 14,
  Currency: 15,
  ExecID: 17,
  ExecInst: 18,
  LastPx: 31,
  LastQty: 32,
  MsgType: 35,
  OrderID: 37,
  OrderQty: 38,
  OrdStatus: 39,
  OrdType: 40,
  OrigClOrdID: 41,
  Price: 44,
  RefSeqNum: 45,
  MsgSeqNum: 34,
  SendingTime: 52,
  Side: 54,
  Symbol: 55,
  Text: 58,
  TimeInForce: 59,
  TransactTime: 60,
  CxlRejReason: 102,
  OrdRejReason: 103,
  MinQty: 110,
  ExpireTime: 126,
  ExecType: 150,
  LeavesQty: 151,
  RefTagID: 371,
  RefMsgType: 372,
  SessionRejectReason: 373,
  BusinessRejectRefID: 379,
  BusinessRejectReason: 380,
  CxlRejResponseTo: 434,
  OrdStatusReqID: 790,
  TrdMatchID: 880,
} as const;
