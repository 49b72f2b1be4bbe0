// JSON text of command answers (bigints as decimal strings). A written
// command's report is serialized once: the same text goes into its stored
// claim (repeated as-is to a resend) and into the HTTP reply.
import type { FixReport } from "@fxcore/domain";
import type { CommandAnswer } from "./command-handler.ts";

const bigintAsString = (_: string, v: unknown) => (typeof v === "bigint" ? v.toString() : v);
/** JSON text of any answer value (bigints as decimal strings). */
export const jsonText = (value: unknown): string => JSON.stringify(value, bigintAsString);

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
