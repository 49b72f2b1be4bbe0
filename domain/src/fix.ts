// FIX codes the domain speaks (FIX 4.4/5.0 values). Plain const objects: the
// codes travel as-is in events and ExecutionReports.

/** Tag 103 OrdRejReason. */
export const OrdRejReason = {
  UnknownSymbol: 1,
  ExchangeClosed: 2,
  OrderExceedsLimit: 3,
  DuplicateOrder: 6,
  UnsupportedOrderCharacteristic: 11,
  IncorrectQuantity: 13,
  UnknownAccount: 15,
  Other: 99,
} as const;
export type OrdRejReason = (typeof OrdRejReason)[keyof typeof OrdRejReason];

/** Tag 102 CxlRejReason. */
export const CxlRejReason = {
  TooLateToCancel: 0,
  UnknownOrder: 1,
  OrderAlreadyPendingCancelOrReplace: 3,
  DuplicateClOrdId: 6,
  Other: 99,
} as const;
export type CxlRejReason = (typeof CxlRejReason)[keyof typeof CxlRejReason];

/** Tag 150 ExecType. */
export const ExecType = {
  New: "0",
  Canceled: "4",
  Replaced: "5",
  Rejected: "8",
  Expired: "C",
  Trade: "F",
  OrderStatus: "I",
} as const;
export type ExecType = (typeof ExecType)[keyof typeof ExecType];

/** Tag 39 OrdStatus. */
export const OrdStatus = {
  New: "0",
  PartiallyFilled: "1",
  Filled: "2",
  Canceled: "4",
  Rejected: "8",
  Expired: "C",
} as const;
export type OrdStatus = (typeof OrdStatus)[keyof typeof OrdStatus];
