// JSON text of command answers (bigints as decimal strings, except the log
// position: positionJson). A written command's report is serialized once: the
// same text goes into its stored claim (repeated as-is to a resend) and into
// the HTTP reply.
import type { FixReport } from "@fxcore/domain";
import type { CommandAnswer } from "./command-handler.ts";

/**
 * The value with its bigints as decimal strings, copied only where it holds
 * one (a report: itself and its avgPx), so that JSON.stringify runs without a
 * replacer, which calls into JS for every key and was most of the cost.
 */
const withoutBigints = (v: unknown): unknown => {
  if (typeof v === "bigint") return v.toString();
  if (v === null || typeof v !== "object") return v;
  if (typeof (v as { toJSON?: unknown }).toJSON === "function") return v;
  if (Array.isArray(v)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < v.length; i++) {
      const x = v[i];
      const y = withoutBigints(x);
      if (y === x) continue;
      copy ??= [...v];
      copy[i] = y;
    }
    return copy ?? v;
  }
  const record = v as Record<string, unknown>;
  let copy: Record<string, unknown> | undefined;
  for (const k of Object.keys(record)) {
    const x = record[k];
    if (typeof x !== "bigint" && (x === null || typeof x !== "object")) continue;
    const y = withoutBigints(x);
    if (y === x) continue;
    copy ??= { ...record };
    copy[k] = y;
  }
  return copy ?? v;
};

/** JSON text of any answer value (bigints as decimal strings). */
export const jsonText = (value: unknown): string => JSON.stringify(withoutBigints(value));

/** Printable ASCII without quote or backslash: JSON.stringify would only add the quotes. */
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
/** JSON text of a string (ids, keys: mostly plain ASCII, quoted directly). */
export const stringJson = (s: string): string => (PLAIN.test(s) ? `"${s}"` : JSON.stringify(s));

// Where a report holds bigints: its timestamps and its AvgPx's traded notional.
const REPORT_BIGINTS = ["transactTime", "expireTime"] as const;

/**
 * The report's JSON text: jsonText's, but one shallow copy with the known
 * bigint fields converted instead of a walk over every field. A bigint
 * anywhere else makes JSON.stringify throw: then the general walk.
 */
export const reportJson = (report: FixReport | null): string => {
  if (report === null) return "null";
  const copy: Record<string, unknown> = { ...report };
  for (const k of REPORT_BIGINTS) {
    const v = copy[k];
    if (typeof v === "bigint") copy[k] = v.toString();
  }
  const avg = copy.avgPx as { tradedNotional?: unknown } | null | undefined;
  if (avg != null && typeof avg.tradedNotional === "bigint")
    copy.avgPx = { ...avg, tradedNotional: avg.tradedNotional.toString() };
  try {
    return JSON.stringify(copy);
  } catch {
    return jsonText(report);
  }
};

const str = (s: string | null): string => (s === null ? "null" : stringJson(s));

/** Decimal digits that a JSON number holds exactly (at most 15: below 2^53). */
const SAFE_DIGITS = /^(?:0|[1-9][0-9]{0,14})$/;

/**
 * A log position as JSON: a number, not a decimal string. V8's JSON.parse
 * interns every string value shorter than 10 characters, so the gateway, which
 * reads one position per order, grew its string table by every order it took
 * and stalled for tens of ms at each of its resizes (ADR 133). At 10,000
 * events/s, 15 digits last ~3,000 years; a longer position goes as the decimal
 * string, which the gateway also reads.
 */
export const positionJson = (p: string | null): string =>
  p === null ? "null" : SAFE_DIGITS.test(p) ? p : stringJson(p);

/**
 * A written command's answer that carries its report's JSON text, made once
 * for the stored claim, so that the reply does not serialize the report again.
 * Its fields are a CommandAnswer's; the text is not one of them.
 */
export class WrittenAnswer implements CommandAnswer {
  readonly report: FixReport;
  readonly position: string;
  readonly orderId: string | null;
  readonly resent = false;
  readonly eventId: string;
  readonly #reportJson: string;
  constructor(
    report: FixReport,
    reportJsonText: string,
    position: string,
    orderId: string | null,
    eventId: string,
  ) {
    this.report = report;
    this.position = position;
    this.orderId = orderId;
    this.eventId = eventId;
    this.#reportJson = reportJsonText;
  }
  reportJson(): string {
    return this.#reportJson;
  }
}

/** What a claim stores to answer a resend: {report, orderId}, the report given as its JSON text. */
export const storedAnswerJson = (reportJsonText: string, orderId: string | null): string =>
  `{"report":${reportJsonText},"orderId":${str(orderId)}}`;

/** The HTTP body of an answer: the same JSON as jsonText(answer), a written answer's report text reused. */
export const answerJson = (a: CommandAnswer): string =>
  `{"report":${a instanceof WrittenAnswer ? a.reportJson() : reportJson(a.report)},"position":${positionJson(a.position)},"orderId":${str(a.orderId)},"resent":${a.resent},"eventId":${str(a.eventId)}${a.pending === undefined ? "" : `,"pending":${str(a.pending)}`}}`;
