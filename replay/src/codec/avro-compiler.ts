// Avro readers compiled to straight-line JavaScript, once per writer schema:
// the replay's bulk decode (ADR 084). Each reader resolves one writer schema
// into the current reader schema by Avro's rules (fields by name, writer-only
// fields skipped, reader-only fields from their defaults, enums by symbol,
// nullable unions by branch) and builds exactly the value the serde builds:
// the envelope, bigints for `timestamp-nanos`, safe-integer numbers for other
// longs. Whatever the compiler does not model (promotions, bytes, fixed,
// FIX-code enums, aliases, non-nullable unions in a reader) makes it refuse
// (UnsupportedSchema), and the caller uses the serde instead.
import type { Envelope } from "@fxcore/schemas";
import { ASCII_MAX, asciiFunction } from "./ascii.ts";
import { type AvroFieldNode, type AvroNode, UnsupportedSchema } from "./avro-schema.ts";

/** Reads one envelope from `buf[start, end)`; throws on bytes that are not one (truncated, trailing data, bad index). */
export type EnvelopeReader = (buf: Buffer, start: number, end: number) => Envelope;

/**
 * Reads the payload of one matcher input (`buf[start, end)`), everything the
 * engine needs, and of the envelope only where its event id lies (`idStart()`,
 * `idEnd()`): the other metadata is checked (bounds, unions, ranges) but not built.
 */
export interface InputReader {
  read(buf: Buffer, start: number, end: number): { readonly type: string };
  idStart(): number;
  idEnd(): number;
}

/** Reads one record starting at `start`; `end()` is where it stopped. Null: a record the caller did not select. */
export interface SelectiveReader<T = Envelope> {
  read(buf: Buffer, start: number, limit: number): T | null;
  end(): number;
  /** Where the selected record's event id lies (mode "input"). */
  idStart(): number;
  idEnd(): number;
}

// Runtime helpers of every generated reader. `P` is the read position, `E` the bound.
/**
 * A timestamp-nanos varint at P into two int32 halves \`l\` (low) and \`h\`
 * (high), for rns (as a bigint) and rns2 (onto the tape).
 */
const NANOS_HALVES = `  let b = buf[P++]; let lo = b & 127; let s = 7;
  while (b > 127 && s < 28) { b = buf[P++]; lo |= (b & 127) << s; s += 7; }
  let hi = 0;
  if (b > 127) {
    let mul = 1;
    for (let i = 0; b > 127; i++) {
      if (i === 6 || P >= E) fail("truncated or overlong long");
      b = buf[P++]; hi += (b & 127) * mul; mul *= 128;
    }
    if (hi >= 68719476736) fail("long overflows 64 bits");
  }
  const lo32 = (lo | ((hi % 16) << 28)) >>> 0;
  const hi32 = Math.floor(hi / 16);
  let l = (lo32 >>> 1) | ((hi32 & 1) << 31), h = hi32 >>> 1;
  if ((lo32 & 1) === 1) { l = ~l; h = ~h; }`;

/**
 * The fast path of a present-day timestamp-nanos (a 9-byte varint at \`p\`)
 * into the int32 halves T[at], T[at + 1]: opens an \`if\` block the caller
 * closes (past the 9 bytes). In rns2 and written out in the tape reader.
 */
const nanosNineBytes = (at: string): string[] => [
  "if (p + 9 <= E && buf[p + 8] < 128 && (buf[p] & buf[p + 1] & buf[p + 2] & buf[p + 3] & buf[p + 4] & buf[p + 5] & buf[p + 6] & buf[p + 7]) > 127) {",
  "const zl = (buf[p] & 127) | ((buf[p + 1] & 127) << 7) | ((buf[p + 2] & 127) << 14) | ((buf[p + 3] & 127) << 21) | ((buf[p + 4] & 15) << 28);",
  "const zh = ((buf[p + 4] & 127) >>> 4) | ((buf[p + 5] & 127) << 3) | ((buf[p + 6] & 127) << 10) | ((buf[p + 7] & 127) << 17) | (buf[p + 8] << 24);",
  `if ((zl & 1) === 0) { T[${at}] = (zl >>> 1) | (zh << 31); T[${at} + 1] = zh >>> 1; }`,
  `else { T[${at}] = ~((zl >>> 1) | (zh << 31)); T[${at} + 1] = ~(zh >>> 1); }`,
];

const RUNTIME = `
"use strict";
let P = 0, E = 0;
const dv = new DataView(new ArrayBuffer(8));
function fail(m) { throw new Error(m); }
function zz(n) { return (n >>> 1) ^ -(n & 1); }
function rl(buf) {
  let b = buf[P++]; let n = b & 127;
  if (b < 128) return zz(n);
  b = buf[P++]; n |= (b & 127) << 7; if (b < 128) return zz(n);
  b = buf[P++]; n |= (b & 127) << 14; if (b < 128) return zz(n);
  b = buf[P++]; n |= (b & 127) << 21; if (b < 128) return zz(n);
  return rlWide(buf, n);
}
function rlWide(buf, n) {
  let h = 0, mul = 1, b = 128;
  for (let i = 0; b > 127; i++) {
    if (i === 6 || P >= E) fail("truncated or overlong long");
    b = buf[P++]; h += (b & 127) * mul; mul *= 128;
  }
  if (h >= 67108864) fail("long is outside the safe integer range");
  const mag = h * 134217728 + (n >>> 1);
  return (n & 1) === 0 ? mag : -mag - 1;
}
function rns(buf) {
${NANOS_HALVES}
  dv.setInt32(0, l, true); dv.setInt32(4, h, true);
  return dv.getBigInt64(0, true);
}
function rs(buf) {
  const n = rl(buf);
  if (n < 0 || P + n > E) fail("truncated string");
  const p = P;
  P += n;
  if (n <= ${ASCII_MAX}) {
    let high = 0;
    for (let i = p; i < p + n; i++) high |= buf[i];
    if (high < 128) return ascii(buf, p, n);
  }
  return buf.utf8Slice(p, p + n);
}
${asciiFunction()}
function sv(buf) { while (buf[P++] > 127) {} }
function sbc(buf) { const n = rl(buf); if (n < 0 || P + n > E) fail("truncated string"); P += n; }
const IK = new Array(1024), IS = new Array(1024);
function rsi(buf) {
  const n = rl(buf);
  if (n < 0 || P + n > E) fail("truncated string");
  if (n > 24) { const s = buf.utf8Slice(P, P + n); P += n; return s; }
  let h = n;
  for (let i = P; i < P + n; i++) h = Math.imul(h ^ buf[i], 16777619);
  const k = h & 1023;
  const c = IK[k];
  hit: if (c !== undefined && c.length === n) {
    for (let i = 0; i < n; i++) if (c[i] !== buf[P + i]) break hit;
    P += n;
    return IS[k];
  }
  const s = buf.utf8Slice(P, P + n);
  IK[k] = Uint8Array.prototype.slice.call(buf, P, P + n);
  IS[k] = s;
  P += n;
  return s;
}
function sb(buf) { const n = rl(buf); if (n < 0) fail("negative length"); P += n; }
// Tape mode (ADR 089): a timestamp-nanos straight into two int32 halves, strings copied as bytes.
function rns2(buf, p, T, at) {
  // Fast path: the 9-byte varint of a present-day timestamp, assembled as two int32 halves.
  P = p;
${nanosNineBytes("at").join("\n")}
    return p + 9;
  }
${NANOS_HALVES}
  T[at] = l; T[at + 1] = h;
  return P;
}
// Set by a tape input branch for the caller: the entry's strings did not fit, its symbol is the pair's.
let OVER = 0, SP = false;
function rf(buf) { const v = buf.readFloatLE(P); P += 4; return v; }
function rd(buf) { const v = buf.readDoubleLE(P); P += 8; return v; }
function done(end) {
  if (P > end) fail("truncated buffer");
  if (P < end) fail("trailing data");
}
`;

// Generated functions keep the read position in a local \`p\` (a register, not
// a closure slot: ~45% less time to skip a record); the runtime helpers above
// work on \`P\`, so every call to one is wrapped in \`P = p; … p = P;\` (viaP).
// Hot statements are written out in the generated code (a one-byte varint is
// the common case): no call per skipped field, whatever the inlining budget
// of a large reader has left.
/** Up to three bytes checked without a loop (most ints and longs here are that short), then the byte loop; same stop. */
const SKIP_VARINT =
  "if (buf[p] < 128) p++; else if (buf[p + 1] < 128) p += 2; else if (buf[p + 2] < 128) p += 3; else { p += 3; while (buf[p++] > 127) {} }";
/** A present-day timestamp-nanos is a 9-byte varint: checked in one go, no byte loop (same stop as SKIP_VARINT). */
const SKIP_TIMESTAMP =
  "if (buf[p + 8] < 128 && (buf[p] & buf[p + 1] & buf[p + 2] & buf[p + 3] & buf[p + 4] & buf[p + 5] & buf[p + 6] & buf[p + 7]) > 127) p += 9; else while (buf[p++] > 127) {}";
const skipLong = (w: AvroNode) =>
  w.k === "long" && w.logical === "timestamp-nanos" ? SKIP_TIMESTAMP : SKIP_VARINT;
const SKIP_BYTES =
  "{ const b = buf[p]; if (b < 128 && (b & 1) === 0) p += 1 + (b >>> 1); else { P = p; sb(buf); p = P; } }";
const CHECK_STRING =
  '{ const b = buf[p]; if (b < 128 && (b & 1) === 0) { p += 1 + (b >>> 1); if (p > E) fail("truncated string"); } else { P = p; sbc(buf); p = P; } }';
/** An int or long into a new \`let v\` (one byte inline). */
const readVarint = (v: string) =>
  `let ${v} = buf[p]; if (${v} < 128) { p++; ${v} = (${v} >>> 1) ^ -(${v} & 1); } else { P = p; ${v} = rl(buf); p = P; }`;
const unionIndex = readVarint;
/** A string's byte length into \`n\`, bounds-checked (one byte inline). */
const STRING_LENGTH =
  'let n = buf[p]; if (n < 128 && (n & 1) === 0) { p++; n >>>= 1; } else { P = p; n = rl(buf); p = P; } if (n < 0 || p + n > E) fail("truncated string");';

const shortName = (name: string) => name.slice(name.lastIndexOf(".") + 1);
const sameName = (a: string, b: string) => a === b || shortName(a) === shortName(b);

class Gen {
  /** Fields read as interned strings (few distinct values: symbols, accounts). */
  intern: ReadonlySet<string> = new Set();
  readonly lines: string[] = [];
  readonly consts: unknown[] = [];
  /** Union branches compiled as functions of their own (each gets its own inlining budget). */
  readonly functions: string[] = [];
  /** Tape form: the pair's UTF-8 bytes (the symbol is compared with them). */
  pair: Uint8Array = new Uint8Array(0);

  /** Moves the lines written since `mark` into a function `b<n>(buf, tp)` returning `out`, called in their place. */
  branchFunction(mark: number, n: number, none: string): void {
    const body = this.lines.splice(mark);
    if (body.length === 0) return;
    this.functions.push(
      `function b${n}(buf, tp) { let p = P; let out = ${none};\n${body.join("\n")}\nP = p; return out; }`,
    );
    this.lines.push(`P = p; out = b${n}(buf, tp); p = P;`);
  }
  #n = 0;
  v(prefix = "v"): string {
    return `${prefix}${this.#n++}`;
  }
  /** A constant passed in K, read through a const of the reader's scope (one load, not two). */
  constant(value: unknown): string {
    this.consts.push(value);
    return `K${this.consts.length - 1}`;
  }

  /** The declarations of the constants' names, for the reader's top. */
  constDecls(): string {
    return this.consts.map((_, i) => `const K${i} = K[${i}];`).join(" ");
  }

  /** A call of a runtime helper (which reads at P) into a new const; returns its name. */
  viaP(expr: string): string {
    const v = this.v("h");
    this.lines.push(`P = p; const ${v} = ${expr}; p = P;`);
    return v;
  }

  /** Statements that move p past one value of `w`. */
  skip(w: AvroNode): void {
    const L = this.lines;
    switch (w.k) {
      case "null":
        return;
      case "boolean":
        L.push("p++;");
        return;
      case "int":
      case "long":
      case "enum":
        L.push(skipLong(w));
        return;
      case "float":
        L.push("p += 4;");
        return;
      case "double":
        L.push("p += 8;");
        return;
      case "string":
      case "bytes":
        L.push(SKIP_BYTES);
        return;
      case "fixed":
        L.push(`p += ${w.size};`);
        return;
      case "record":
        for (const f of w.fields) this.skip(f.type);
        return;
      case "union": {
        if (w.branches.length === 0) throw new UnsupportedSchema("recursive type");
        const i = this.v("u");
        L.push(unionIndex(i));
        w.branches.forEach((b, n) => {
          L.push(`${n === 0 ? "if" : "else if"} (${i} === ${n}) {`);
          this.skip(b);
          L.push("}");
        });
        L.push(`else fail("bad union index " + ${i});`);
        return;
      }
      case "array":
      case "map": {
        const c = this.v("c");
        L.push(`for (;;) { P = p; const ${c} = rl(buf); p = P; if (${c} === 0) break;`);
        // A negative count is followed by the block's size in bytes: jump over it.
        L.push(`if (${c} < 0) { P = p; sb(buf); p = P; continue; }`);
        L.push(`for (let i = 0; i < ${c}; i++) {`);
        if (w.k === "map") L.push("P = p; sb(buf); p = P;");
        this.skip(w.k === "map" ? w.values : w.items);
        L.push("}}");
        return;
      }
    }
  }

  /** Statements reading one value written as `w` into the reader type `r`; returns its expression. */
  read(w: AvroNode, r: AvroNode): string {
    const L = this.lines;
    if (w.k === "union") {
      if (w.branches.length === 0) throw new UnsupportedSchema("recursive type");
      const out = this.v();
      const i = this.v("u");
      L.push(`let ${out};`, unionIndex(i));
      w.branches.forEach((b, n) => {
        L.push(`${n === 0 ? "if" : "else if"} (${i} === ${n}) {`);
        const target = r.k === "union" ? this.branchFor(b, r) : r;
        if (target === undefined) {
          // A writer branch this reader cannot take: an error when it occurs, as avsc's resolver.
          L.push(`fail("union branch ${n} not readable");`);
        } else {
          L.push(`${out} = ${this.read(b, target)};`);
        }
        L.push("}");
      });
      L.push(`else fail("bad union index " + ${i});`);
      return out;
    }
    if (r.k === "union") {
      const target = this.branchFor(w, r);
      if (target === undefined) throw new UnsupportedSchema(`no union branch for ${w.k}`);
      return this.read(w, target);
    }
    switch (w.k) {
      case "null":
        if (r.k !== "null") break;
        return "null";
      case "boolean":
        if (r.k !== "boolean") break;
        return "(buf[p++] !== 0)";
      case "int":
      case "long":
        if (r.k === "long")
          return this.viaP(
            r.logical === "timestamp-nanos"
              ? w.k === "long"
                ? "rns(buf)"
                : "BigInt(rl(buf))"
              : "rl(buf)",
          );
        if (r.k === "int" && w.k === "int") return this.viaP("rl(buf)");
        break;
      case "float":
        if (r.k !== "float") break;
        return this.viaP("rf(buf)");
      case "double":
        if (r.k !== "double") break;
        return this.viaP("rd(buf)");
      case "string":
        if (r.k !== "string") break;
        return this.viaP("rs(buf)");
      case "enum": {
        if (r.k !== "enum" || !sameName(w.name, r.name) || r.logical !== undefined) break;
        const table = w.symbols.map((s) => (r.symbols.includes(s) ? s : r.default));
        const t = this.constant(table);
        const out = this.v();
        const i = this.v("e");
        L.push(
          readVarint(i),
          `const ${out} = ${t}[${i}];`,
          `if (${out} === undefined) fail("enum symbol not readable");`,
        );
        return out;
      }
      case "record": {
        if (r.k !== "record" || !sameName(w.name, r.name)) break;
        const values = this.recordFields(w, r);
        return `{ ${r.fields.map((f) => `${JSON.stringify(f.name)}: ${values.get(f.name)}`).join(", ")} }`;
      }
      default:
        break;
    }
    throw new UnsupportedSchema(`cannot compile ${w.k} read as ${r.k}`);
  }

  /** Reads the writer's fields in order; returns the expression of every reader field. */
  recordFields(
    w: Extract<AvroNode, { k: "record" }>,
    r: Extract<AvroNode, { k: "record" }>,
  ): Map<string, string> {
    const values = this.recordFieldsPartial(w, r);
    this.fillDefaults(r.fields, values);
    return values;
  }

  /** The default of every reader field not read yet; a field with none cannot be compiled. */
  private fillDefaults(fields: readonly AvroFieldNode[], values: Map<string, string>): void {
    for (const rf of fields) {
      if (values.has(rf.name)) continue;
      if (!rf.hasDefault) throw new UnsupportedSchema(`no default for ${rf.name}`);
      values.set(rf.name, this.defaultValue(rf));
    }
  }

  defaultValue(f: AvroFieldNode): string {
    const t = f.type.k === "union" ? f.type.branches[0] : f.type;
    const d = f.default;
    if (t === undefined) throw new UnsupportedSchema("empty union");
    if (d === null && t.k === "null") return "null";
    if (t.k === "long" && typeof d === "number" && Number.isSafeInteger(d)) {
      return t.logical === "timestamp-nanos" ? `${BigInt(d)}n` : String(d);
    }
    if (
      (t.k === "string" || (t.k === "enum" && t.logical === undefined)) &&
      typeof d === "string"
    ) {
      return JSON.stringify(d);
    }
    if (t.k === "boolean" && typeof d === "boolean") return String(d);
    if (t.k === "int" && typeof d === "number") return String(d);
    throw new UnsupportedSchema(`default of ${f.name}`);
  }

  /** The reader union branch a writer type resolves to (first match, as avsc's resolver). */
  branchFor(w: AvroNode, r: Extract<AvroNode, { k: "union" }>): AvroNode | undefined {
    // A reader union other than [null, X] is wrapped by avsc ({ "type": value }): not modelled.
    if (r.branches.filter((b) => b.k !== "null").length > 1) {
      throw new UnsupportedSchema("reader union with several non-null branches");
    }
    return r.branches.find((b) => {
      if (b.k === w.k)
        return w.k !== "record" && w.k !== "enum"
          ? true
          : sameName((w as { name: string }).name, (b as { name: string }).name);
      return w.k === "int" && b.k === "long";
    });
  }

  /**
   * Checks one writer value against the reader type without building it:
   * strings are bounds-checked, everything else read (ranges, enum symbols,
   * union branches) as the full reader would, so the same bytes fail.
   */
  check(w: AvroNode, r: AvroNode): void {
    if (w.k === "union") {
      if (w.branches.length === 0) throw new UnsupportedSchema("recursive type");
      const i = this.v("u");
      this.lines.push(unionIndex(i));
      w.branches.forEach((b, n) => {
        this.lines.push(`${n === 0 ? "if" : "else if"} (${i} === ${n}) {`);
        const target = r.k === "union" ? this.branchFor(b, r) : r;
        if (target === undefined) this.lines.push(`fail("union branch ${n} not readable");`);
        else this.check(b, target);
        this.lines.push("}");
      });
      this.lines.push(`else fail("bad union index " + ${i});`);
      return;
    }
    if (r.k === "union") {
      const target = this.branchFor(w, r);
      if (target === undefined) throw new UnsupportedSchema(`no union branch for ${w.k}`);
      this.check(w, target);
      return;
    }
    if (w.k === "null" && r.k === "null") return;
    if (w.k === "string" && r.k === "string") {
      this.lines.push(CHECK_STRING);
      return;
    }
    // Every 64-bit value is a valid timestamp-nanos: no bigint needed to check one.
    if (w.k === "long" && r.k === "long" && r.logical === "timestamp-nanos") {
      this.lines.push(skipLong(w));
      return;
    }
    this.lines.push(`${this.read(w, r)};`);
  }

  /**
   * A container record read into `out`: every field skipped but `unionField`
   * (a union of event records), which switches on its branch; `branch` writes
   * a selected branch (answering true), any other is skipped. Each branch is
   * a function of its own (branchFunction) answering `none` by default.
   */
  eventUnion(
    w: Extract<AvroNode, { k: "record" }>,
    unionField: string,
    none: string,
    branch: (b: AvroNode) => boolean,
  ): void {
    const L = this.lines;
    L.push(`let out = ${none};`);
    for (const f of w.fields) {
      if (f.name !== unionField) {
        this.skip(f.type);
        continue;
      }
      if (f.type.k !== "union") throw new UnsupportedSchema(`${unionField} is not a union`);
      const i = this.v("u");
      L.push(unionIndex(i));
      // A switch: one indirect jump to the record's branch instead of a chain of compares.
      L.push(`switch (${i}) {`);
      f.type.branches.forEach((b, n) => {
        L.push(`case ${n}: {`);
        const mark = L.length;
        if (!branch(b)) this.skip(b);
        this.branchFunction(mark, n, none);
        L.push("break; }");
      });
      L.push(`default: fail("bad union index " + ${i}); }`);
    }
  }

  /** The payload of a matcher input, and the position of the envelope's event id. */
  input(
    w: Extract<AvroNode, { k: "record" }>,
    r: Extract<AvroNode, { k: "record" }>,
    type: string,
  ): string {
    const { wMeta, rMetaFields } = this.metaRecords(w, r);
    const id = wMeta.fields.find((f) => f.name === "eventId");
    if (id?.type.k !== "string" || rMetaFields.get("eventId")?.type.k !== "string") {
      throw new UnsupportedSchema("meta.eventId is not a string");
    }
    // The payload's fields, with meta read in place (writer order) as checks and the id's position.
    const payloadOnly = { ...r, fields: r.fields.filter((f) => f.name !== "meta") };
    const metaAt = w.fields.findIndex((f) => f.name === "meta");
    const before = { ...w, fields: w.fields.slice(0, metaAt) };
    const after = { ...w, fields: w.fields.slice(metaAt + 1) };
    const values = new Map<string, string>();
    const readPart = (part: typeof w) => {
      for (const [k, v] of this.recordFieldsPartial(part, payloadOnly)) values.set(k, v);
    };
    readPart(before);
    for (const wf of wMeta.fields) {
      const rf = rMetaFields.get(wf.name);
      if (wf.name === "eventId") {
        this.lines.push(`{ ${STRING_LENGTH} I0 = p; I1 = p + n; p += n; }`);
      } else if (rf === undefined) this.skip(wf.type);
      else this.check(wf.type, rf.type);
    }
    readPart(after);
    this.fillDefaults(payloadOnly.fields, values);
    return this.payload(type, payloadOnly.fields, values);
  }

  /** The writer's and reader's meta records of an event envelope, checked to match. */
  private metaRecords(
    w: Extract<AvroNode, { k: "record" }>,
    r: Extract<AvroNode, { k: "record" }>,
  ): {
    wMeta: Extract<AvroNode, { k: "record" }>;
    rMetaFields: Map<string, AvroFieldNode>;
  } {
    const wMeta = w.fields.find((f) => f.name === "meta")?.type;
    const rMeta = r.fields.find((f) => f.name === "meta")?.type;
    if (wMeta?.k !== "record" || rMeta?.k !== "record" || !sameName(wMeta.name, rMeta.name)) {
      throw new UnsupportedSchema("no meta record");
    }
    const rMetaFields = new Map(rMeta.fields.map((f) => [f.name, f]));
    for (const rf of rMeta.fields) {
      if (rf.aliases.length > 0) throw new UnsupportedSchema("field aliases");
      if (!rf.hasDefault && !wMeta.fields.some((f) => f.name === rf.name)) {
        throw new UnsupportedSchema(`no default for meta.${rf.name}`);
      }
    }
    return { wMeta, rMetaFields };
  }

  /** Builds the payload object `{ type, ...fields }` (optional fields only when not null); returns its name. */
  private payload(
    type: string,
    fields: readonly AvroFieldNode[],
    values: Map<string, string>,
  ): string {
    const payload = this.v("p");
    const plain = fields.filter((f) => !f.optional);
    this.lines.push(
      `const ${payload} = { type: ${JSON.stringify(type)}, ${plain.map((f) => `${JSON.stringify(f.name)}: ${values.get(f.name)}`).join(", ")} };`,
    );
    for (const f of fields) {
      if (!f.optional) continue;
      const v = values.get(f.name)!;
      this.lines.push(`if (${v} !== null) ${payload}[${JSON.stringify(f.name)}] = ${v};`);
    }
    return payload;
  }

  /**
   * A matcher input written onto the tape (entry tp.n) instead of built: the
   * envelope's meta checked as in input(), strings copied as bytes, enums as
   * codes, longs into the float64 column, timestamps into int32 halves;
   * account and symbol left in the record (their positions, the symbol
   * compared with the pair). Only the tape's field shapes are modelled.
   */
  tapeInput(
    w: Extract<AvroNode, { k: "record" }>,
    r: Extract<AvroNode, { k: "record" }>,
    kind: number,
    layout: TapeLayout,
  ): void {
    const L = this.lines;
    const { wMeta, rMetaFields } = this.metaRecords(w, r);
    const rFields = new Map(r.fields.map((f) => [f.name, f]));
    if (r.fields.some((f) => f.aliases.length > 0)) throw new UnsupportedSchema("field aliases");
    const X = layout.stride;
    // The entry's columns and string cursor in locals of the branch function (registers, not closure slots).
    L.push(
      `const x = tp.n * ${X}, fr = tp.n * 3, tr = tp.n * 4, I = tp.I, F = tp.F, T = tp.T, S = tp.S;`,
      "let so = tp.s, or = 0, over = 0, fl = 0;",
    );
    const seen = new Set<string>();
    for (const wf of w.fields) {
      if (wf.name === "meta") {
        for (const mf of wMeta.fields) {
          const rf = rMetaFields.get(mf.name);
          if (mf.name === "eventId") {
            if (mf.type.k !== "string") throw new UnsupportedSchema("meta.eventId is not a string");
            L.push(`{ ${STRING_LENGTH} I0 = p; I1 = p + n; p += n; }`);
          } else if (rf === undefined) this.skip(mf.type);
          else this.check(mf.type, rf.type);
        }
        continue;
      }
      const rf = rFields.get(wf.name);
      if (rf === undefined) {
        this.skip(wf.type);
        continue;
      }
      seen.add(wf.name);
      this.tapeField(wf.type, rf, layout);
    }
    for (const rf of r.fields) {
      if (rf.name === "meta" || seen.has(rf.name)) continue;
      if (!rf.hasDefault) throw new UnsupportedSchema(`no default for ${rf.name}`);
      this.tapeDefault(rf, layout);
    }
    L.push(
      `I[x] = ${kind} | (or < 128 ? ${layout.asciiFlag} : 0); I[x + ${layout.flagsSlot}] = fl; SE = so; OVER = over; out = ${kind};`,
    );
  }

  private tapeField(w: AvroNode, rf: AvroFieldNode, layout: TapeLayout): void {
    const L = this.lines;
    const name = rf.name;
    const str = layout.strings[name];
    if (str !== undefined) {
      if (w.k !== "string") throw new UnsupportedSchema(`${name} is not a string`);
      // Its bytes copied onto the tape (OR-ed to tell ASCII); one that does not fit sets over.
      L.push(
        `{ ${STRING_LENGTH} I[x + ${str}] = so; I[x + ${str + 1}] = n;`,
        "if (so + n > S.length) over = 1; else { for (let i = 0; i < n; i++) { const c = buf[p + i]; or |= c; S[so + i] = c; } so += n; }",
        "p += n; }",
      );
      return;
    }
    if (name === "account" || name === "symbol") {
      if (w.k !== "string") throw new UnsupportedSchema(`${name} is not a string`);
      // The symbol compared with the pair's bytes, written into the code.
      if (name === "symbol")
        L.push(
          `{ ${STRING_LENGTH} SP = n === ${this.pair.length}${[...this.pair].map((c, i) => ` && buf[p + ${i}] === ${c}`).join("")}; p += n; }`,
        );
      else L.push(`{ ${STRING_LENGTH} A0 = p; A1 = p + n; p += n; }`);
      return;
    }
    const en = layout.enums[name];
    if (en !== undefined) {
      if (w.k !== "enum" || rf.type.k !== "enum" || !sameName(w.name, rf.type.name)) {
        throw new UnsupportedSchema(`${name} is not the reader's enum`);
      }
      const r = rf.type;
      const codes = w.symbols.map((s) =>
        en.codes.indexOf(r.symbols.includes(s) ? s : (r.default ?? "")),
      );
      const t = this.constant(codes.map((c) => (c < 0 ? undefined : c)));
      const v = this.v();
      const i = this.v("e");
      L.push(
        readVarint(i),
        `const ${v} = ${t}[${i}];`,
        `if (${v} === undefined) fail("enum symbol not readable");`,
        `fl |= ${v} << ${en.shift};`,
      );
      return;
    }
    if (name === "postOnly") {
      if (w.k !== "boolean") throw new UnsupportedSchema("postOnly is not a boolean");
      L.push(`if (buf[p++] !== 0) fl |= ${layout.postOnly};`);
      return;
    }
    const num = layout.numbers[name];
    if (num !== undefined) {
      this.tapeNullable(w, num.nullFlag, (v) => {
        if (v.k !== "long" && v.k !== "int") throw new UnsupportedSchema(`${name} is not a long`);
        const n = this.v("n");
        L.push(readVarint(n), `F[fr + ${num.col}] = ${n};`);
      });
      return;
    }
    const time = layout.times[name];
    if (time !== undefined) {
      this.tapeNullable(w, time.nullFlag, (v) => {
        if (v.k !== "long") throw new UnsupportedSchema(`${name} is not a long`);
        // A present-day 9-byte varint written out here (rns2's fast path), the rest through rns2.
        const at = `tr + ${time.col * 2}`;
        L.push(...nanosNineBytes(at), `p += 9; } else p = rns2(buf, p, T, ${at});`);
      });
      return;
    }
    throw new UnsupportedSchema(`no tape column for ${name}`);
  }

  /** A value that may be a [null, X] union in the writer: null sets the flag, X is read by `read`. */
  private tapeNullable(w: AvroNode, nullFlag: number, read: (v: AvroNode) => void): void {
    const L = this.lines;
    if (w.k !== "union") {
      read(w);
      return;
    }
    const u = this.v("u");
    L.push(unionIndex(u));
    w.branches.forEach((b, n) => {
      L.push(`${n === 0 ? "if" : "else if"} (${u} === ${n}) {`);
      if (b.k === "null") {
        if (nullFlag === 0) throw new UnsupportedSchema("null where the reader has none");
        L.push(`fl |= ${nullFlag};`);
      } else read(b);
      L.push("}");
    });
    L.push(`else fail("bad union index " + ${u});`);
  }

  private tapeDefault(rf: AvroFieldNode, layout: TapeLayout): void {
    const L = this.lines;
    const d = rf.default;
    const en = layout.enums[rf.name];
    const num = layout.numbers[rf.name];
    const time = layout.times[rf.name];
    if (en !== undefined && typeof d === "string" && en.codes.includes(d)) {
      L.push(`fl |= ${en.codes.indexOf(d)} << ${en.shift};`);
    } else if (rf.name === "postOnly" && typeof d === "boolean") {
      if (d) L.push(`fl |= ${layout.postOnly};`);
    } else if (num !== undefined && d === null && num.nullFlag !== 0) {
      L.push(`fl |= ${num.nullFlag};`);
    } else if (time !== undefined && d === null && time.nullFlag !== 0) {
      L.push(`fl |= ${time.nullFlag};`);
    } else {
      throw new UnsupportedSchema(`tape default of ${rf.name}`);
    }
  }

  /** recordFields without the defaults of reader fields the writer part lacks. */
  private recordFieldsPartial(
    w: Extract<AvroNode, { k: "record" }>,
    r: Extract<AvroNode, { k: "record" }>,
  ): Map<string, string> {
    const byName = new Map(r.fields.map((f) => [f.name, f]));
    if (r.fields.some((f) => f.aliases.length > 0)) throw new UnsupportedSchema("field aliases");
    const values = new Map<string, string>();
    for (const wf of w.fields) {
      const rf = byName.get(wf.name);
      if (rf === undefined) {
        this.skip(wf.type);
        continue;
      }
      const v = this.v("f");
      const interned = this.intern.has(rf.name) && wf.type.k === "string" && rf.type.k === "string";
      this.lines.push(
        `const ${v} = ${interned ? this.viaP("rsi(buf)") : this.read(wf.type, rf.type)};`,
      );
      values.set(rf.name, v);
    }
    return values;
  }

  /** `{ meta, payload }` for a top-level event record, as the serde's fromAvroRecord shapes it. */
  envelope(
    w: Extract<AvroNode, { k: "record" }>,
    r: Extract<AvroNode, { k: "record" }>,
    type: string,
  ): string {
    const values = this.recordFields(w, r);
    const meta = values.get("meta");
    if (meta === undefined) throw new UnsupportedSchema("no meta field");
    const fields = r.fields.filter((f) => f.name !== "meta");
    return `{ meta: ${meta}, payload: ${this.payload(type, fields, values)} }`;
  }
}

const build = <T>(gen: Gen, body: string): T =>
  new Function("K", `${RUNTIME}\n${gen.constDecls()}\n${body}`)(gen.consts) as T;

/**
 * The body of a compiled container reader (eventUnion's lines): `read` over
 * one record, `end`, the event id's position, then `methods`; `locals` are
 * the reader's `let`s the branch functions set.
 */
const containerReader = (gen: Gen, locals: string, methods = ""): string => `let ${locals};
    ${gen.functions.join("\n")}
    return {
      read(buf, start, limit, tp) {
        let p = start; E = limit;
        ${gen.lines.join("\n")}
        P = p; if (p > limit) fail("truncated record");
        return out;
      },
      end() { return P; },
      idStart() { return I0; },
      idEnd() { return I1; },
      ${methods}
    };`;

const asRecord = (n: AvroNode, what: string): Extract<AvroNode, { k: "record" }> => {
  if (n.k !== "record") throw new UnsupportedSchema(`${what} is not a record`);
  return n;
};

/** The envelope reader for stored bytes written with `writer`, resolved into the reader schema of `type`. */
export function compileEnvelopeReader(
  writer: AvroNode,
  reader: AvroNode,
  type: string,
): EnvelopeReader {
  const gen = new Gen();
  const result = gen.envelope(asRecord(writer, "writer"), asRecord(reader, "reader"), type);
  return build<EnvelopeReader>(
    gen,
    `return function read(buf, start, end) {
      let p = start; E = end;
      ${gen.lines.join("\n")}
      P = p; done(end);
      return ${result};
    };`,
  );
}

/** Fields whose values repeat (a pair's symbol, a handful of accounts): read through a small intern cache. */
const INTERNED = new Set(["symbol", "account"]);

/** The matcher-input reader for stored bytes written with `writer` (see InputReader). */
export function compileInputReader(writer: AvroNode, reader: AvroNode, type: string): InputReader {
  const gen = new Gen();
  gen.intern = INTERNED;
  const result = gen.input(asRecord(writer, "writer"), asRecord(reader, "reader"), type);
  return build<InputReader>(
    gen,
    `let I0 = 0, I1 = 0;
    return {
      read(buf, start, end) {
        let p = start; E = end;
        ${gen.lines.join("\n")}
        P = p; done(end);
        return ${result};
      },
      idStart() { return I0; },
      idEnd() { return I1; },
    };`,
  );
}

/**
 * For a container record whose field `unionField` is a union of event records
 * (an export's record): a reader that skips every other field, and decodes the
 * event into an envelope only when its record type is selected (else skips it
 * and answers null).
 */
export function compileSelectiveReader(
  container: AvroNode,
  unionField: string,
  readerFor: (recordName: string) => AvroNode | undefined,
): SelectiveReader;
export function compileSelectiveReader(
  container: AvroNode,
  unionField: string,
  readerFor: (recordName: string) => AvroNode | undefined,
  mode: "input",
): SelectiveReader<{ readonly type: string }>;
export function compileSelectiveReader(
  container: AvroNode,
  unionField: string,
  readerFor: (recordName: string) => AvroNode | undefined,
  mode: "envelope" | "input" = "envelope",
): SelectiveReader<unknown> {
  const w = asRecord(container, "container");
  const gen = new Gen();
  if (mode === "input") gen.intern = INTERNED;
  const L = gen.lines;
  gen.eventUnion(w, unionField, "null", (b) => {
    const r = b.k === "record" ? readerFor(b.name) : undefined;
    if (b.k !== "record" || r === undefined) return false;
    const reader = asRecord(r, "reader");
    const type = shortName(b.name);
    L.push(
      `out = ${mode === "input" ? gen.input(b, reader, type) : gen.envelope(b, reader, type)};`,
    );
    return true;
  });
  return build<SelectiveReader<unknown>>(gen, containerReader(gen, "I0 = 0, I1 = 0"));
}

/** Where the tape keeps each input field (input-tape.ts defines it; the compiler only follows it). */
export interface TapeLayout {
  /** Int32 slots per entry. */
  readonly stride: number;
  readonly asciiFlag: number;
  readonly flagsSlot: number;
  readonly postOnly: number;
  /** String fields: slot of (offset, length). */
  readonly strings: Readonly<Record<string, number>>;
  /** Enum fields: the tape's codes (reader symbols) and their shift in the flags. */
  readonly enums: Readonly<
    Record<string, { readonly codes: readonly string[]; readonly shift: number }>
  >;
  /** Long fields: float64 column, and the flag a null sets (0: not nullable). */
  readonly numbers: Readonly<Record<string, { readonly col: number; readonly nullFlag: number }>>;
  /** timestamp-nanos fields: int64 column, and the flag a null sets. */
  readonly times: Readonly<Record<string, { readonly col: number; readonly nullFlag: number }>>;
}

/** Where a tape reader writes: the entry at `n`, strings from byte `s` of `S`. */
export interface TapeTarget {
  n: number;
  s: number;
  I: Int32Array<ArrayBufferLike>;
  F: Float64Array<ArrayBufferLike>;
  /** The int64 column as int32 halves (little-endian). */
  T: Int32Array<ArrayBufferLike>;
  S: Uint8Array<ArrayBufferLike>;
}

/**
 * Reads one export record; for a selected input, writes it as the tape's
 * entry `tp.n` (not committed: the caller advances n and s) and answers its
 * kind, else -1.
 */
export interface TapeRecordReader {
  read(buf: Buffer, start: number, limit: number, tp: TapeTarget): number;
  end(): number;
  idStart(): number;
  idEnd(): number;
  accountStart(): number;
  accountEnd(): number;
  /** The input's symbol is the pair's. */
  samePair(): boolean;
  /** Where the entry's strings end in S. */
  stringsEnd(): number;
  /** The entry's strings did not fit in S (nothing else is wrong with it). */
  overflow(): boolean;
}

/** compileSelectiveReader's "tape" form: `kinds` maps a selected record name to its tape kind. */
export function compileTapeReader(...args: Parameters<typeof tapeReaderSource>): TapeRecordReader {
  return instantiateTapeReader(tapeReaderSource(...args));
}

/**
 * A compiled tape reader as data (its JavaScript and its constants, both
 * structured-cloneable): compiled where the schemas are, instantiated on the
 * thread that reads (which then loads no compiler).
 */
export interface TapeReaderSource {
  readonly code: string;
  readonly consts: readonly unknown[];
}

/** Instantiates a TapeReaderSource (K: the constants; a Buffer constant arrives as a Uint8Array). */
export const instantiateTapeReader = (src: TapeReaderSource): TapeRecordReader =>
  new Function("K", src.code)(src.consts) as TapeRecordReader;

export function tapeReaderSource(
  container: AvroNode,
  unionField: string,
  readerFor: (recordName: string) => AvroNode | undefined,
  kinds: ReadonlyMap<string, number>,
  layout: TapeLayout,
  pair: string,
): TapeReaderSource {
  const w = asRecord(container, "container");
  const gen = new Gen();
  gen.pair = Buffer.from(pair, "utf8");
  gen.eventUnion(w, unionField, "-1", (b) => {
    const r = b.k === "record" ? readerFor(b.name) : undefined;
    const kind = b.k === "record" ? kinds.get(b.name) : undefined;
    if (b.k !== "record" || r === undefined || kind === undefined) return false;
    gen.tapeInput(b, asRecord(r, "reader"), kind, layout);
    return true;
  });
  const body = `${gen.constDecls()}
    ${containerReader(
      gen,
      "I0 = 0, I1 = 0, A0 = 0, A1 = 0, SE = 0",
      `accountStart() { return A0; },
      accountEnd() { return A1; },
      samePair() { return SP; },
      stringsEnd() { return SE; },
      overflow() { return OVER === 1; },`,
    )}`;
  return { code: `${RUNTIME}\n${body}`, consts: gen.consts };
}
