// JSON text of command answers (bigints as decimal strings). A written
// command's report is serialized once: the same text goes into its stored
// claim (repeated as-is to a resend) and into the HTTP reply.
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

const reportTexts = new WeakMap<object, string>();

/** The report's JSON text, remembered for the answer later built around the same report. */
const reportJson = (report: FixReport | null): string => {
  if (report === null) return "null";
  let text = reportTexts.get(report);
  if (text === undefined) {
    text = jsonText(report);
    reportTexts.set(report, text);
  }
  return text;
};

const str = (s: string | null): string => (s === null ? "null" : JSON.stringify(s));

/** What a claim stores to answer a resend: {report, orderId}. */
export const storedAnswerJson = (report: FixReport | null, orderId: string | null): string =>
  `{"report":${reportJson(report)},"orderId":${str(orderId)}}`;

/** The HTTP body of an answer: the same JSON as jsonText(answer), its report serialized once. */
export const answerJson = (a: CommandAnswer): string =>
  `{"report":${reportJson(a.report)},"position":${str(a.position)},"orderId":${str(a.orderId)},"resent":${a.resent},"eventId":${str(a.eventId)}${a.pending === undefined ? "" : `,"pending":${str(a.pending)}`}}`;
