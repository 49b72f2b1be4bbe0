// COPY … FROM STDIN (text format) for the append-only tables of a batch:
// Postgres parses it at about half the CPU of a json_populate_recordset or
// unnest INSERT of the same rows (ADR 076). Runs on the caller's client, so
// inside its transaction; any bad row fails the whole COPY (and the batch).
import type { PgClient } from "@fxcore/infra";
import { from as copyFrom } from "pg-copy-streams";

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
