// One mapping from every outcome to (HTTP status, stable error code, FIX
// message). The FIX reject, the status and the code always come from here, so
// they cannot disagree.

import { Tag } from "../fix/fields.ts";
import { type FixMessage, getField } from "../fix/message.ts";
import { type FixReject, rejectToFix } from "../fix/rejects.ts";

export interface Answer {
  readonly status: number;
  /** Present on every non-2xx answer. */
  readonly code?: string;
  readonly message?: string;
  /** The FIX message answering the request, when there is one. */
  readonly fix?: FixMessage;
  readonly headers?: Readonly<Record<string, string>>;
  /** Extra members of the error object (serverTime, retryAfter…). */
  readonly details?: Readonly<Record<string, unknown>>;
}

const SESSION_CODES: Readonly<Record<number, string>> = {
  0: "INVALID_TAG",
  1: "REQUIRED_TAG_MISSING",
  2: "TAG_NOT_DEFINED_FOR_MESSAGE",
  4: "TAG_WITHOUT_VALUE",
  5: "VALUE_OUT_OF_RANGE",
  6: "INCORRECT_DATA_FORMAT",
  11: "INVALID_MSG_TYPE",
  13: "TAG_REPEATED",
  14: "TAG_OUT_OF_ORDER",
  99: "MALFORMED_MESSAGE",
};

const BUSINESS: Readonly<Record<number, { status: number; code: string }>> = {
  0: { status: 422, code: "BUSINESS_REJECT" },
  1: { status: 404, code: "UNKNOWN_ORDER" },
  3: { status: 400, code: "UNSUPPORTED_MESSAGE_TYPE" },
  4: { status: 503, code: "APPLICATION_NOT_AVAILABLE" },
  5: { status: 422, code: "CONDITIONALLY_REQUIRED_FIELD_MISSING" },
  6: { status: 403, code: "NOT_AUTHORIZED" },
  8: { status: 429, code: "RATE_LIMITED" },
};

export const rejectAnswer = (r: FixReject, extra: Partial<Answer> = {}): Answer => {
  const m =
    r.kind === "session"
      ? { status: 400, code: SESSION_CODES[r.reason] ?? "MALFORMED_MESSAGE" }
      : (BUSINESS[r.reason] ?? { status: 422, code: "BUSINESS_REJECT" });
  return { ...m, message: r.text, fix: rejectToFix(r), ...extra };
};

/** An ExecutionReport or OrderCancelReject from the command side. */
export const reportAnswer = (report: FixMessage, position: string | null): Answer => {
  const headers = position === null ? undefined : { "fx-position": position };
  const base = headers ? { fix: report, headers } : { fix: report };
  const msgType = getField(report, Tag.MsgType);
  const text = getField(report, Tag.Text);
  if (msgType === "9") {
    const unknown = getField(report, Tag.CxlRejReason) === "1";
    return {
      ...base,
      status: unknown ? 404 : 409,
      code: unknown ? "UNKNOWN_ORDER" : "CANCEL_REJECTED",
      message: text ?? "cancel/replace rejected",
    };
  }
  if (getField(report, Tag.ExecType) === "8") {
    return { ...base, status: 422, code: "ORDER_REJECTED", message: text ?? "order rejected" };
  }
  return { ...base, status: 200 };
};

export const plainError = (
  status: number,
  code: string,
  message: string,
  details?: Record<string, unknown>,
): Answer => (details ? { status, code, message, details } : { status, code, message });
