// COPY … FROM STDIN (text format) for the append-only tables of a batch:
// Postgres parses it at about half the CPU of a json_populate_recordset or
// unnest INSERT of the same rows (ADR 076). Runs on the caller's client, so
// inside its transaction; any bad row fails the whole COPY (and the batch).
import type { PgClient } from "@fxcore/infra";
import { from as copyFrom } from "pg-copy-streams";
import { joinChunks } from "./copy-binary.ts";

export type CopyValue = string | number | bigint | boolean | Buffer | null | undefined;

const special = /[\\\t\n\r]/;
const escapeText = (s: string): string =>
  special.test(s)
    ? s.replace(/[\\\t\n\r]/g, (m) =>
        m === "\\" ? "\\\\" : m === "\t" ? "\\t" : m === "\n" ? "\\n" : "\\r",
      )
    : s;

/** One value in COPY text format: \N for null, bytea as \\x hex. */
export const copyField = (v: CopyValue): string => {
  if (v === null || v === undefined) return "\\N";
  if (typeof v === "string") return escapeText(v);
  if (typeof v === "boolean") return v ? "t" : "f";
  if (Buffer.isBuffer(v)) return `\\\\x${v.toString("hex")}`;
  return String(v);
};

const plainText = /^[\x20-\x5b\x5d-\x7e]*$/;
/**
 * A bytea field: bytes that are printable ASCII without a backslash (the
 * canonical JSON of nearly every event) go as they are — bytea's escape
 * format reads them literally — at half the size of hex, and with no hex
 * encoding here or decoding in Postgres; anything else as hex.
 */
export const copyBytea = (b: Buffer): string => {
  const s = b.toString("latin1");
  return plainText.test(s) ? s : `\\\\x${b.toString("hex")}`;
};

/**
 * Writes `rows` (already COPY-encoded: text lines each ending in \n, or with
 * `binary` a whole binary stream from BinaryCopyRows) into `table (columns)`.
 */
export const copyLines = async (
  db: Pick<PgClient, "query">,
  table: string,
  columns: readonly string[],
  lines: string | Buffer,
  binary = false,
): Promise<void> => {
  if (lines.length === 0) return;
  const stream = db.query(
    copyFrom(`COPY ${table} (${columns.join(", ")}) FROM STDIN${binary ? " (FORMAT binary)" : ""}`),
  );
  await new Promise<void>((resolve, reject) => {
    stream.on("error", reject);
    stream.on("finish", () => resolve());
    stream.end(lines);
  });
};

/** Rows of values in column order as COPY text lines. */
export const copyText = (rows: readonly (readonly CopyValue[])[]): string => {
  let lines = "";
  for (const r of rows) {
    let line = "";
    for (let i = 0; i < r.length; i++) line += (i ? "\t" : "") + copyField(r[i]);
    lines += `${line}\n`;
  }
  return lines;
};

/** Encodes rows of values in column order and COPYs them. */
export const copyRows = (
  db: Pick<PgClient, "query">,
  table: string,
  columns: readonly string[],
  rows: readonly (readonly CopyValue[])[],
): Promise<void> => copyLines(db, table, columns, copyText(rows));

const TEXT_CHUNK = 256 * 1024;
const NEWLINE = 10;
const TAB = 9;

/**
 * COPY text lines written straight into Buffers, field by field: the same
 * bytes as copyText, without a string per field, per line and per batch
 * (each of which the GC copied while the batch waited for its commit).
 */
export class TextCopyRows {
  #chunks: Buffer[] = [];
  #buf: Buffer = Buffer.allocUnsafe(TEXT_CHUNK);
  #at = 0;
  #lineStart = true;

  #room(n: number): void {
    if (this.#at + n <= this.#buf.length) return;
    this.#chunks.push(this.#buf.subarray(0, this.#at));
    this.#buf = Buffer.allocUnsafe(Math.max(TEXT_CHUNK, n));
    this.#at = 0;
  }

  #separate(): void {
    if (this.#lineStart) this.#lineStart = false;
    else {
      this.#room(1);
      this.#buf[this.#at++] = TAB;
    }
  }

  #null(): this {
    this.#separate();
    this.#room(2);
    this.#buf[this.#at++] = 92; // \N
    this.#buf[this.#at++] = 78;
    return this;
  }

  /** A text field, escaped as COPY text needs; null and undefined as \N. */
  str(s: string | null | undefined): this {
    if (s === null || s === undefined) return this.#null();
    this.#separate();
    const n = s.length;
    this.#room(n);
    const buf = this.#buf;
    const start = this.#at;
    // Printable ASCII without a backslash goes in as it is (nearly every field).
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c < 32 || c > 126 || c === 92) {
        const e = escapeText(s);
        const len = Buffer.byteLength(e, "utf8");
        this.#at = start;
        this.#room(len);
        this.#at += this.#buf.write(e, this.#at, len, "utf8");
        return this;
      }
      buf[start + i] = c;
    }
    this.#at = start + n;
    return this;
  }

  /** An integer field (number or bigint); null and undefined as \N. */
  num(v: number | bigint | null | undefined): this {
    if (v === null || v === undefined) return this.#null();
    // Small non-negative integers (sequences, counts): digits by int32
    // arithmetic. Anything else as its decimal text: String() of a number or
    // bigint is native and plain ASCII, cheaper than dividing a double per digit.
    if (typeof v === "number" && v >= 0 && v <= 0x7fffffff && (v | 0) === v) {
      this.#separate();
      let digits = 1;
      for (let x = v; x >= 10; x = (x / 10) | 0) digits++;
      this.#room(digits);
      const buf = this.#buf;
      let x = v;
      for (let i = this.#at + digits - 1; i >= this.#at; i--) {
        const q = (x / 10) | 0;
        buf[i] = 48 + x - q * 10;
        x = q;
      }
      this.#at += digits;
      return this;
    }
    return this.str(String(v));
  }

  /** Any COPY value, as copyField writes it. */
  value(v: CopyValue): this {
    if (typeof v === "number" || typeof v === "bigint") return this.num(v);
    if (typeof v === "string" || v === null || v === undefined) return this.str(v);
    // Booleans and bytea: copyField's text is already in COPY form (no escaping again).
    const t = copyField(v);
    this.#separate();
    this.#room(t.length);
    this.#at += this.#buf.write(t, this.#at, t.length, "latin1");
    return this;
  }

  /** Ends the line. */
  end(): this {
    this.#room(1);
    this.#buf[this.#at++] = NEWLINE;
    this.#lineStart = true;
    return this;
  }

  /** Everything written, as one Buffer. */
  finish(): Buffer {
    const out = joinChunks(this.#chunks, this.#buf.subarray(0, this.#at));
    this.#chunks = [];
    this.#buf = Buffer.alloc(0);
    this.#at = 0;
    return out;
  }
}

/** Rows of values in column order as COPY text lines, in one Buffer. */
export const copyTextBuffer = (rows: readonly (readonly CopyValue[])[]): Buffer => {
  const out = new TextCopyRows();
  for (const r of rows) {
    for (let i = 0; i < r.length; i++) out.value(r[i]);
    out.end();
  }
  return out.finish();
};
