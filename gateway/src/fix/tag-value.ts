// Classic tag=value text. Fields are separated by SOH (\x01) or, for humans
// and curl, "|": a message containing SOH uses SOH, otherwise "|". Over HTTP
// the session envelope is optional: when BeginString (8) leads the message,
// BodyLength (9) must follow it and CheckSum (10) must end it, and both are
// verified over the bytes as sent; without 8 neither may appear.

import type { Result } from "@fxcore/domain";
import { err, ok } from "@fxcore/domain";
import { Tag } from "./fields.ts";
import { type FixField, type FixMessage, fixMessage } from "./message.ts";
import { SessionRejectReason as R, type SessionReject, sessionReject } from "./rejects.ts";

export const SOH = "\x01";
export type Delimiter = "\x01" | "|";

const TAG_RE = /^[1-9][0-9]{0,8}$/;
const utf8Length = (s: string): number => Buffer.byteLength(s, "utf8");

export const checksumOf = (s: string): string => {
  let sum = 0;
  for (const b of Buffer.from(s, "utf8")) sum = (sum + b) & 0xff;
  return String(sum).padStart(3, "0");
};

export const detectDelimiter = (text: string): Delimiter => (text.includes(SOH) ? SOH : "|");

export const decodeTagValue = (text: string): Result<FixMessage, SessionReject> => {
  const d = detectDelimiter(text);
  const body = text.endsWith(d) ? text.slice(0, -1) : text;
  if (body.length === 0)
    return err(sessionReject(R.RequiredTagMissing, "empty message", Tag.MsgType));
  const tokens = body.split(d);
  const raw: Array<FixField & { readonly start: number; readonly end: number }> = [];
  let offset = 0;
  for (const token of tokens) {
    const eq = token.indexOf("=");
    const tagText = eq < 0 ? token : token.slice(0, eq);
    if (eq < 0 || !TAG_RE.test(tagText)) {
      return err(
        sessionReject(R.InvalidTagNumber, `malformed field ${JSON.stringify(token.slice(0, 32))}`),
      );
    }
    const start = offset;
    offset += token.length + 1;
    raw.push({ tag: Number(tagText), value: token.slice(eq + 1), start, end: offset });
  }
  const has8 = raw[0]?.tag === Tag.BeginString;
  const fields: FixField[] = [];
  for (let i = 0; i < raw.length; i++) {
    const fl = raw[i]!;
    if (fl.tag === Tag.BeginString && i !== 0)
      return err(sessionReject(R.TagOutOfOrder, "BeginString must be the first field", fl.tag));
    if (fl.tag === Tag.BodyLength) {
      if (!has8 || i !== 1)
        return err(
          sessionReject(R.TagOutOfOrder, "BodyLength must directly follow BeginString", fl.tag),
        );
      if (!/^[0-9]+$/.test(fl.value))
        return err(sessionReject(R.IncorrectDataFormat, "BodyLength is not a length", fl.tag));
      const last = raw[raw.length - 1]!;
      if (last.tag === Tag.CheckSum) {
        const actual = utf8Length(text.slice(fl.end, last.start));
        if (Number(fl.value) !== actual)
          return err(
            sessionReject(
              R.ValueIncorrect,
              `BodyLength ${fl.value} but body has ${actual} bytes`,
              fl.tag,
            ),
          );
      }
      continue;
    }
    if (fl.tag === Tag.CheckSum) {
      if (!has8 || i !== raw.length - 1)
        return err(
          sessionReject(
            R.TagOutOfOrder,
            "CheckSum must be the last field after a BeginString",
            fl.tag,
          ),
        );
      const want = checksumOf(text.slice(0, fl.start));
      if (fl.value !== want)
        return err(
          sessionReject(R.ValueIncorrect, `CheckSum ${fl.value}, expected ${want}`, fl.tag),
        );
      continue;
    }
    fields.push({ tag: fl.tag, value: fl.value });
  }
  if (has8 && raw[1]?.tag !== Tag.BodyLength)
    return err(
      sessionReject(R.RequiredTagMissing, "BeginString without BodyLength", Tag.BodyLength),
    );
  if (has8 && raw[raw.length - 1]?.tag !== Tag.CheckSum)
    return err(sessionReject(R.RequiredTagMissing, "BeginString without CheckSum", Tag.CheckSum));
  return ok(fixMessage(fields));
};

/**
 * Encodes with a trailing delimiter. With BeginString first, BodyLength and
 * CheckSum are added; a value containing the delimiter cannot be encoded and
 * is the caller's problem (the dictionary never produces one).
 */
export const encodeTagValue = (msg: FixMessage, delimiter: Delimiter = SOH): string => {
  const [first, ...rest] = msg.fields;
  if (first?.tag !== Tag.BeginString) {
    return msg.fields.map((fl) => `${fl.tag}=${fl.value}${delimiter}`).join("");
  }
  const bodyText = rest.map((fl) => `${fl.tag}=${fl.value}${delimiter}`).join("");
  const head = `8=${first.value}${delimiter}9=${utf8Length(bodyText)}${delimiter}${bodyText}`;
  return `${head}10=${checksumOf(head)}${delimiter}`;
};
