// The data dictionary as a gate: a message either becomes a ValidMessage (every
// field known, allowed, well-formed, in range, once; required ones present)
// or a typed reject, in the order a FIX engine checks: MsgType, then each
// field in wire order, then required fields, then conditional rules.

import type { Result } from "@fxcore/domain";
import { err, ok } from "@fxcore/domain";
import { FIELD_BY_TAG, FIELDS, type FieldDef, OTHER_FIX_TAGS, Tag } from "./fields.ts";
import { type FixField, type FixMessage, getField } from "./message.ts";
import { HEADER_TAGS, MESSAGE_BY_TYPE, type MessageDef, OTHER_FIX_MSG_TYPES } from "./messages.ts";
import {
  BusinessRejectReason as B,
  type FixReject,
  SessionRejectReason as R,
  businessReject,
  sessionReject,
} from "./rejects.ts";
import { isUtcTimestamp } from "./timestamp.ts";

export interface ValidMessage {
  readonly def: MessageDef;
  readonly msg: FixMessage;
  /** Values by tag (each appears at most once). */
  readonly values: FieldValues;
}

/** A valid message's value of a tag. */
export interface FieldValues {
  get(tag: number): string | undefined;
}

/**
 * The values read off the fields themselves: a valid message has a few dozen
 * fields at most (each allowed tag once), so a scan costs less than a Map
 * built per message.
 */
class FieldsView implements FieldValues {
  readonly #msg: FixMessage;
  constructor(msg: FixMessage) {
    this.#msg = msg;
  }
  get(tag: number): string | undefined {
    return getField(this.#msg, tag);
  }
}

/** Whether `tag` is among the first `end` fields. */
const seenBefore = (fs: readonly FixField[], end: number, tag: number): boolean => {
  for (let i = 0; i < end; i++) if (fs[i]!.tag === tag) return true;
  return false;
};

const ID_TAGS: ReadonlySet<number> = new Set([
  Tag.ClOrdID,
  Tag.OrigClOrdID,
  Tag.Account,
  Tag.OrderID,
  Tag.ExecID,
  Tag.OrdStatusReqID,
]);
const ID_RE = /^[\x21-\x7e]{1,64}$/;
const DECIMAL_RE = /^-?(?:[0-9]{1,20}(?:\.[0-9]{0,12})?|\.[0-9]{1,12})$/;
const MAX_STRING = 256;

type FormatCheck = "ok" | "format" | "range";

/** Tags each message may carry, computed once. */
const ALLOWED: ReadonlyMap<string, ReadonlySet<number>> = new Map(
  [...MESSAGE_BY_TYPE.values()].map((m) => [
    m.msgType,
    new Set([...HEADER_TAGS, ...m.required, ...m.optional]),
  ]),
);

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
const CONTROL = /[\x00-\x1f\x7f]/;
const INT_RE = /^-?[0-9]{1,9}$/;
const UINT_RE = /^[0-9]{1,9}$/;
const CURRENCY_RE = /^[A-Z]{3}$/;
const MULTI_RE = /^[!-~]( [!-~])*$/;

/** The type's format check, chosen once per field rather than per value. */
const formatOf = (def: FieldDef): ((v: string) => boolean) => {
  switch (def.type) {
    case "STRING":
      return (v) => v.length <= MAX_STRING && !CONTROL.test(v);
    case "CHAR":
      return (v) => v.length === 1;
    case "INT":
      return (v) => INT_RE.test(v);
    case "SEQNUM":
    case "LENGTH":
      return (v) => UINT_RE.test(v);
    case "QTY":
    case "PRICE":
      return (v) => DECIMAL_RE.test(v);
    case "UTCTIMESTAMP":
      return isUtcTimestamp;
    case "BOOLEAN":
      return (v) => v === "Y" || v === "N";
    case "CURRENCY":
      return (v) => CURRENCY_RE.test(v);
    case "MULTIPLECHARVALUE":
      return (v) => MULTI_RE.test(v);
  }
};

/** A field's whole value check, compiled from the dictionary once. */
const compileCheck = (def: FieldDef): ((v: string) => FormatCheck) => {
  const format = formatOf(def);
  const isId = ID_TAGS.has(def.tag);
  const values = def.values ? new Set(Object.keys(def.values)) : null;
  const inRange =
    values === null
      ? () => true
      : def.type === "MULTIPLECHARVALUE"
        ? (v: string) => v.split(" ").every((c) => values.has(c))
        : (v: string) => values.has(v);
  return (v) => {
    if (isId && !ID_RE.test(v)) return "format";
    if (!format(v)) return "format";
    return inRange(v) ? "ok" : "range";
  };
};

const CHECKS: ReadonlyMap<number, (v: string) => FormatCheck> = new Map(
  FIELDS.map((d) => [d.tag, compileCheck(d)]),
);

/** Checks an inbound message (default) or, in tests, one the gateway sends. */
export const validate = (
  msg: FixMessage,
  direction: "in" | "out" = "in",
): Result<ValidMessage, FixReject> => {
  const fs = msg.fields;
  const msgType = getField(msg, Tag.MsgType);
  if (msgType === undefined)
    return err(sessionReject(R.RequiredTagMissing, "MsgType (35) missing", Tag.MsgType));
  if (msgType === "")
    return err(sessionReject(R.TagSpecifiedWithoutValue, "MsgType (35) empty", Tag.MsgType));
  const def = MESSAGE_BY_TYPE.get(msgType);
  if (!def || def.direction !== direction) {
    if (def || OTHER_FIX_MSG_TYPES.has(msgType))
      return err(
        businessReject(
          B.UnsupportedMessageType,
          msgType,
          `MsgType ${msgType} is not accepted here`,
        ),
      );
    return err(
      sessionReject(
        R.InvalidMsgType,
        `invalid MsgType ${JSON.stringify(msgType.slice(0, 8))}`,
        Tag.MsgType,
      ),
    );
  }
  const allowed = ALLOWED.get(def.msgType)!;
  for (let i = 0; i < fs.length; i++) {
    const { tag, value } = fs[i]!;
    const known = FIELD_BY_TAG.get(tag);
    const name = known?.name ?? OTHER_FIX_TAGS.get(tag);
    if (name === undefined)
      return err(sessionReject(R.InvalidTagNumber, `invalid tag number ${tag}`, tag, msgType));
    if (seenBefore(fs, i, tag))
      return err(
        sessionReject(R.TagRepeated, `${name} (${tag}) appears more than once`, tag, msgType),
      );
    if (!known || !allowed.has(tag))
      return err(
        sessionReject(
          R.TagNotDefinedForMessageType,
          `${name} (${tag}) is not defined for ${def.name}`,
          tag,
          msgType,
        ),
      );
    if (value === "")
      return err(
        sessionReject(R.TagSpecifiedWithoutValue, `${name} (${tag}) has no value`, tag, msgType),
      );
    const check = CHECKS.get(tag)!(value);
    if (check === "format")
      return err(
        sessionReject(
          R.IncorrectDataFormat,
          `${name} (${tag}) is not a valid ${known.type}`,
          tag,
          msgType,
        ),
      );
    if (check === "range")
      return err(
        sessionReject(
          R.ValueIncorrect,
          `${name} (${tag}) value ${JSON.stringify(value.slice(0, 16))} is not accepted`,
          tag,
          msgType,
        ),
      );
  }
  const values = new FieldsView(msg);
  for (const tag of def.required) {
    if (values.get(tag) === undefined)
      return err(
        sessionReject(
          R.RequiredTagMissing,
          `${FIELD_BY_TAG.get(tag)?.name} (${tag}) is required in ${def.name}`,
          tag,
          msgType,
        ),
      );
  }
  for (const c of def.conditional) {
    const trigger = values.get(c.when);
    if (trigger !== undefined && c.in.includes(trigger) && values.get(c.tag) === undefined) {
      const name = FIELD_BY_TAG.get(c.tag)?.name;
      const whenName = FIELD_BY_TAG.get(c.when)?.name;
      return err(
        businessReject(
          B.ConditionallyRequiredFieldMissing,
          msgType,
          `${name} (${c.tag}) is required when ${whenName}=${trigger}`,
          values.get(Tag.ClOrdID),
        ),
      );
    }
  }
  return ok({ def, msg, values });
};
