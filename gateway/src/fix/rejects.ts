// Rejects as values: a session-level Reject (35=3) for a message the data
// dictionary refuses, a BusinessMessageReject (35=j) for one it accepts but
// the venue will not act on. Both become a FIX message and an HTTP error.

import { Tag } from "./fields.ts";
import { build, type FixMessage } from "./message.ts";

/** Tag 373 values used here. */
export const SessionRejectReason = {
  InvalidTagNumber: 0,
  RequiredTagMissing: 1,
  TagNotDefinedForMessageType: 2,
  TagSpecifiedWithoutValue: 4,
  ValueIncorrect: 5,
  IncorrectDataFormat: 6,
  InvalidMsgType: 11,
  TagRepeated: 13,
  TagOutOfOrder: 14,
  Other: 99,
} as const;
export type SessionRejectReason = (typeof SessionRejectReason)[keyof typeof SessionRejectReason];

/** Tag 380 values used here. */
export const BusinessRejectReason = {
  Other: 0,
  UnknownId: 1,
  UnsupportedMessageType: 3,
  ApplicationNotAvailable: 4,
  ConditionallyRequiredFieldMissing: 5,
  NotAuthorized: 6,
  ThrottleLimitExceeded: 8,
} as const;
export type BusinessRejectReason = (typeof BusinessRejectReason)[keyof typeof BusinessRejectReason];

export interface SessionReject {
  readonly kind: "session";
  readonly reason: SessionRejectReason;
  readonly refTagId?: number;
  readonly refMsgType?: string;
  readonly text: string;
}

export interface BusinessReject {
  readonly kind: "business";
  readonly reason: BusinessRejectReason;
  readonly refMsgType: string;
  /** The business id of the refused message (its ClOrdID), when it has one. */
  readonly refId?: string;
  readonly text: string;
}

export type FixReject = SessionReject | BusinessReject;

export const sessionReject = (
  reason: SessionRejectReason,
  text: string,
  refTagId?: number,
  refMsgType?: string,
): SessionReject => ({
  kind: "session",
  reason,
  text,
  ...(refTagId === undefined ? {} : { refTagId }),
  ...(refMsgType === undefined ? {} : { refMsgType }),
});

export const businessReject = (
  reason: BusinessRejectReason,
  refMsgType: string,
  text: string,
  refId?: string,
): BusinessReject => ({
  kind: "business",
  reason,
  refMsgType,
  text,
  ...(refId === undefined ? {} : { refId }),
});

export const rejectToFix = (r: FixReject): FixMessage =>
  r.kind === "session"
    ? build([
        [Tag.MsgType, "3"],
        [Tag.RefTagID, r.refTagId],
        [Tag.RefMsgType, r.refMsgType],
        [Tag.SessionRejectReason, r.reason],
        [Tag.Text, r.text],
      ])
    : build([
        [Tag.MsgType, "j"],
        [Tag.RefMsgType, r.refMsgType],
        [Tag.BusinessRejectRefID, r.refId],
        [Tag.BusinessRejectReason, r.reason],
        [Tag.Text, r.text],
      ]);
