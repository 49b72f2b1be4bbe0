// A batch column as ONE text parameter: the values joined by the unit
// separator, split again in SQL by string_to_array (textColumnSql). A text[]
// parameter costs more on both sides: node-pg quotes and regex-escapes every
// element, Postgres parses the literal back; JSON values (full of quotes) are
// the worst case, and a batch carries thousands of values.

const UNIT_SEPARATOR = "\u001f";
/** A value equal to this is NULL. */
const NULL_MARK = "\u001e";

/**
 * Each value is terminated (not separated) by the unit separator, so an empty
 * string stays an element; textColumnSql trims the empty tail element.
 * Throws on a value that contains the separator or equals the NULL mark
 * (control characters no id, key or JSON text holds).
 */
export function textColumn(values: readonly (string | number | null)[]): string {
  let out = "";
  for (const v of values) out += element(v);
  return out;
}

const element = (v: string | number | null): string => {
  if (v === null) return NULL_MARK + UNIT_SEPARATOR;
  if (typeof v === "number") return v + UNIT_SEPARATOR;
  if (v === NULL_MARK || v.includes(UNIT_SEPARATOR))
    throw new Error(`value holds a control character reserved by textColumn: ${JSON.stringify(v)}`);
  return v + UNIT_SEPARATOR;
};

/**
 * Several text columns filled row by row, each written straight into its own
 * buffer as UTF-8 (the bytes of the text textColumn gives): no string per
 * value is kept, nor a join of them, and the driver sends a buffer as it is
 * (a binary parameter, which Postgres reads as text for `$n::text`; ADR 101).
 */
export class TextColumns {
  readonly #bufs: Buffer[];
  readonly #lens: number[];
  /** `rowsHint`: about how many rows (presizes the buffers). */
  constructor(count: number, rowsHint = 16) {
    const size = Math.max(64, rowsHint * 40);
    this.#bufs = Array.from({ length: count }, () => Buffer.allocUnsafe(size));
    this.#lens = new Array<number>(count).fill(0);
  }
  /** Appends a value to column `i`; same rules as textColumn. */
  add(i: number, v: string | number | null): void {
    if (v === null) return this.#byte(i, 0x1e, true);
    if (typeof v === "number") return this.#text(i, String(v), true);
    if (v === NULL_MARK || v.includes(UNIT_SEPARATOR))
      throw new Error(
        `value holds a control character reserved by textColumn: ${JSON.stringify(v)}`,
      );
    this.#text(i, v, true);
  }
  /**
   * Appends JSON text made by JSON.stringify (or quoted like it) to column
   * `i`, given in up to four pieces written back to back (no concatenation
   * to build first): JSON never holds a raw control character (it escapes
   * them), so the separator scan is skipped.
   */
  addJson(i: number, json: string, more1?: string, more2?: string, more3?: string): void {
    if (more1 === undefined) return this.#text(i, json, true);
    this.#text(i, json, false);
    if (more2 === undefined) return this.#text(i, more1, true);
    this.#text(i, more1, false);
    if (more3 === undefined) return this.#text(i, more2, true);
    this.#text(i, more2, false);
    this.#text(i, more3, true);
  }
  /** Each column's bytes (views of the buffers: add no more while they are in use). */
  columns(): readonly Buffer[] {
    return this.#bufs.map((b, i) => b.subarray(0, this.#lens[i]));
  }
  #text(i: number, v: string, terminate: boolean): void {
    let b = this.#bufs[i] as Buffer;
    let at = this.#lens[i] as number;
    // At most 3 bytes per UTF-16 unit, plus the separator.
    if (b.length - at < v.length * 3 + 1) b = this.#grow(i, at + v.length * 3 + 1);
    at += b.write(v, at);
    if (terminate) b[at++] = 0x1f;
    this.#lens[i] = at;
  }
  #byte(i: number, byte: number, terminate: boolean): void {
    let b = this.#bufs[i] as Buffer;
    let at = this.#lens[i] as number;
    if (b.length - at < 2) b = this.#grow(i, at + 2);
    b[at++] = byte;
    if (terminate) b[at++] = 0x1f;
    this.#lens[i] = at;
  }
  #grow(i: number, need: number): Buffer {
    const old = this.#bufs[i] as Buffer;
    const b = Buffer.allocUnsafe(Math.max(need, old.length * 2));
    old.copy(b, 0, 0, this.#lens[i]);
    this.#bufs[i] = b;
    return b;
  }
}

/** SQL for parameter `param` (e.g. "$1") as an array of `type`. The column must not be empty. */
export const textColumnSql = (param: string, type = "text"): string =>
  `trim_array(string_to_array(${param}::text, E'\\x1f', E'\\x1e'), 1)::${type}[]`;
