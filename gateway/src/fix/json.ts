// FIX JSON encoding: FIX Repository field names, every value a string. Two
// shapes are accepted: the standard envelope {"Header":{…},"Body":{…},
// "Trailer":{…}} and a flat object {"MsgType":"D", …}; the gateway answers
// flat. Names the dictionary lacks may be given as decimal tags ("9999").
// JSON.parse silently keeps the last of duplicate keys, and a FIX engine must
// see a repeated tag, so objects are read by a small strict parser that keeps
// every entry in order.

import type { Result } from "@fxcore/domain";
import { err, ok } from "@fxcore/domain";
import { Tag, nameOfTag, tagOfName } from "./fields.ts";
import { type FixField, type FixMessage, fixMessage } from "./message.ts";
import { HEADER_TAGS } from "./messages.ts";
import { SessionRejectReason as R, type SessionReject, sessionReject } from "./rejects.ts";

export type JsonValue =
  | { readonly kind: "string"; readonly value: string }
  | { readonly kind: "object"; readonly entries: ReadonlyArray<readonly [string, JsonValue]> }
  | { readonly kind: "other"; readonly text: string };

const MAX_DEPTH = 8;

/** Parses JSON keeping duplicate keys; non-string scalars and arrays are kept as raw text. */
export const parseStrictJson = (text: string): Result<JsonValue, string> => {
  let i = 0;
  const ws = () => {
    for (;;) {
      const c = text.charCodeAt(i);
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return;
      i++;
    }
  };
  const fail = (what: string): never => {
    throw new SyntaxError(`${what} at offset ${i}`);
  };
  const str = (): string => {
    const start = i;
    let escaped = false;
    i++;
    for (;;) {
      const c = text.charCodeAt(i); // NaN past the end
      if (c === 0x22) break;
      if (c === 0x5c) {
        escaped = true;
        i += 2;
        continue;
      }
      if (c < 0x20 || Number.isNaN(c)) {
        if (i >= text.length) fail("unterminated string");
        fail("control character in string");
      }
      i++;
    }
    if (i >= text.length) fail("unterminated string");
    i++;
    // Escapes are rare in FIX JSON: only then does JSON.parse decode (and check) them.
    return escaped ? (JSON.parse(text.slice(start, i)) as string) : text.slice(start + 1, i - 1);
  };
  const value = (depth: number): JsonValue => {
    if (depth > MAX_DEPTH) fail("nesting too deep");
    ws();
    const c = text[i];
    if (c === '"') return { kind: "string", value: str() };
    if (c === "{") {
      i++;
      const entries: Array<readonly [string, JsonValue]> = [];
      ws();
      if (text[i] === "}") {
        i++;
        return { kind: "object", entries };
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail("expected a key");
        const key = str();
        ws();
        if (text[i] !== ":") fail("expected ':'");
        i++;
        entries.push([key, value(depth + 1)]);
        ws();
        if (text[i] === ",") {
          i++;
          continue;
        }
        if (text[i] === "}") {
          i++;
          return { kind: "object", entries };
        }
        fail("expected ',' or '}'");
      }
    }
    // Anything else (number, literal, array) is syntactically checked by
    // JSON.parse on its extent and kept as text: FIX JSON never uses it.
    const start = i;
    if (c === "[") {
      let level = 0;
      do {
        if (text[i] === '"') {
          str();
          continue;
        }
        if (text[i] === "[" || text[i] === "{") level++;
        if (text[i] === "]" || text[i] === "}") level--;
        i++;
      } while (level > 0 && i < text.length);
    } else {
      while (i < text.length && /[-+.0-9a-zA-Z]/.test(text[i]!)) i++;
    }
    const raw = text.slice(start, i);
    if (raw.length === 0) fail("unexpected character");
    JSON.parse(raw);
    return { kind: "other", text: raw };
  };
  try {
    const v = value(0);
    ws();
    if (i !== text.length) fail("trailing characters");
    return ok(v);
  } catch (e) {
    return err(e instanceof Error ? e.message : String(e));
  }
};

const SECTIONS = new Set(["Header", "Body", "Trailer"]);

/** A FIX JSON field name's tag, or why it cannot be one. */
const tagOfJsonName = (name: string): number | SessionReject => {
  const tag = tagOfName(name);
  if (tag === null)
    return sessionReject(R.InvalidTagNumber, `unknown field "${name.slice(0, 40)}"`);
  if (tag === Tag.BodyLength || tag === Tag.CheckSum)
    return sessionReject(R.TagNotDefinedForMessageType, `${name} is not used in FIX JSON`, tag);
  return tag;
};

const fieldsOf = (
  entries: ReadonlyArray<readonly [string, JsonValue]>,
  out: FixField[],
): SessionReject | null => {
  for (const [name, v] of entries) {
    const tag = tagOfJsonName(name);
    if (typeof tag !== "number") return tag;
    if (v.kind !== "string")
      return sessionReject(R.IncorrectDataFormat, `${name} must be a JSON string`, tag);
    out.push({ tag, value: v.value });
  }
  return null;
};

// The usual message, parsed without the general parser's tree: reused scratch
// for the names and values of a flat object of plain strings.
const flatNames: string[] = [];
const flatValues: string[] = [];

const isWs = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

/**
 * Where the plain string starting at `from` ends (its closing quote), or -1
 * when it has an escape or a control character or is not closed: such strings
 * are left to the general path.
 */
const plainStringEnd = (text: string, from: number, n: number): number => {
  for (let i = from; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) return i;
    if (c === 0x5c || c < 0x20) return -1;
  }
  return -1;
};

/**
 * A flat object whose values are all strings without escapes or control
 * characters: the fields, or the reject the general path would give for them.
 * Undefined for anything else (escapes, nesting, non-strings, a section name,
 * a syntax error): the general path then decides, so both agree on every input.
 */
const decodeFlat = (text: string): Result<FixMessage, SessionReject> | undefined => {
  let i = 0;
  const n = text.length;
  while (isWs(text.charCodeAt(i))) i++;
  if (text.charCodeAt(i) !== 0x7b) return undefined; // {
  i++;
  let count = 0;
  for (;;) {
    while (isWs(text.charCodeAt(i))) i++;
    // Key: a plain string.
    if (text.charCodeAt(i) !== 0x22) return undefined;
    const k = i + 1;
    i = plainStringEnd(text, k, n);
    if (i < 0) return undefined;
    const name = text.slice(k, i++);
    if (SECTIONS.has(name)) return undefined;
    while (isWs(text.charCodeAt(i))) i++;
    if (text.charCodeAt(i) !== 0x3a) return undefined; // :
    i++;
    while (isWs(text.charCodeAt(i))) i++;
    if (text.charCodeAt(i) !== 0x22) return undefined;
    const v = i + 1;
    i = plainStringEnd(text, v, n);
    if (i < 0) return undefined;
    flatNames[count] = name;
    flatValues[count] = text.slice(v, i++);
    count++;
    while (isWs(text.charCodeAt(i))) i++;
    const c = text.charCodeAt(i++);
    if (c === 0x2c) continue; // ,
    if (c !== 0x7d) return undefined; // }
    break;
  }
  while (isWs(text.charCodeAt(i))) i++;
  if (i !== n) return undefined;
  // fieldsOf's checks, in the same order (every value here is a string).
  const fields: FixField[] = new Array(count);
  for (let f = 0; f < count; f++) {
    const tag = tagOfJsonName(flatNames[f]!);
    if (typeof tag !== "number") return err(tag);
    fields[f] = { tag, value: flatValues[f]! };
  }
  return ok(fixMessage(fields));
};

export const decodeFixJson = (text: string): Result<FixMessage, SessionReject> => {
  const flat = decodeFlat(text);
  if (flat !== undefined) return flat;
  const parsed = parseStrictJson(text);
  if (!parsed.ok) return err(sessionReject(R.Other, `malformed JSON: ${parsed.error}`));
  const root = parsed.value;
  if (root.kind !== "object")
    return err(sessionReject(R.Other, "a FIX JSON message is a JSON object"));
  const fields: FixField[] = [];
  const enveloped = root.entries.some(([k]) => SECTIONS.has(k));
  if (!enveloped) {
    const bad = fieldsOf(root.entries, fields);
    return bad ? err(bad) : ok(fixMessage(fields));
  }
  const seen = new Set<string>();
  for (const [section, v] of root.entries) {
    if (!SECTIONS.has(section))
      return err(sessionReject(R.Other, `"${section.slice(0, 40)}" beside Header/Body/Trailer`));
    if (seen.has(section)) return err(sessionReject(R.Other, `${section} appears twice`));
    seen.add(section);
    if (v.kind !== "object") return err(sessionReject(R.Other, `${section} must be an object`));
    const bad = fieldsOf(v.entries, fields);
    if (bad) return err(bad);
  }
  return ok(fixMessage(fields));
};

export type JsonShape = "flat" | "envelope";

/** What JSON.stringify would escape in a string: quote, backslash, controls, lone surrogates. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what needs escaping
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;
const FIRST_KEYS = new Map<number, string>();
const NEXT_KEYS = new Map<number, string>();
/** `{"Name":"` (first) or `","Name":"` (after a value) of a tag, written once. */
const keyOf = (tag: number, first: boolean): string => {
  const keys = first ? FIRST_KEYS : NEXT_KEYS;
  let k = keys.get(tag);
  if (k === undefined) {
    k = `${first ? "{" : '",'}${JSON.stringify(nameOfTag(tag))}:"`;
    if (keys.size < 10_000) keys.set(tag, k);
  }
  return k;
};

/** A FIX JSON object. The envelope shape moves header fields into "Header". */
export const toFixJson = (msg: FixMessage, shape: JsonShape = "flat"): Record<string, unknown> => {
  const flat = (fs: readonly FixField[]) =>
    Object.fromEntries(fs.map((fl) => [nameOfTag(fl.tag), fl.value]));
  if (shape === "flat") return flat(msg.fields);
  return {
    Header: flat(msg.fields.filter((fl) => HEADER_TAGS.includes(fl.tag))),
    Body: flat(msg.fields.filter((fl) => !HEADER_TAGS.includes(fl.tag))),
    Trailer: {},
  };
};

/**
 * The wire text, written by hand: a JS object would reorder integer-like keys
 * ("9999") before names and break the lossless round trip.
 */
export const encodeFixJson = (msg: FixMessage, shape: JsonShape = "flat"): string => {
  // Two pieces per field, the quotes and comma inside the cached key: a cons
  // string per piece is left to the GC (one report per order answered).
  const obj = (fs: readonly FixField[]) => {
    if (fs.length === 0) return "{}";
    let out = "";
    for (let i = 0; i < fs.length; i++) {
      const fl = fs[i]!;
      out += keyOf(fl.tag, i === 0);
      // The escaped text between JSON.stringify's quotes (the quotes are in the keys).
      out += NEEDS_ESCAPE.test(fl.value) ? JSON.stringify(fl.value).slice(1, -1) : fl.value;
    }
    return `${out}"}`;
  };
  if (shape === "flat") return obj(msg.fields);
  const header = msg.fields.filter((fl) => HEADER_TAGS.includes(fl.tag));
  const body = msg.fields.filter((fl) => !HEADER_TAGS.includes(fl.tag));
  return `{"Header":${obj(header)},"Body":${obj(body)},"Trailer":{}}`;
};
