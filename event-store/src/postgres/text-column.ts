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
 * Several text columns filled row by row (the same text textColumn gives
 * each): values collected per column and joined once, so a column is one flat
 * string (no chain of concatenations for the driver to flatten, nor held while
 * the query runs).
 */
export class TextColumns {
  readonly #values: (string | number)[][];
  constructor(count: number) {
    this.#values = Array.from({ length: count }, () => []);
  }
  /** Appends a value to column `i`; same rules as textColumn. */
  add(i: number, v: string | number | null): void {
    const column = this.#values[i] as (string | number)[];
    if (v === null) column.push(NULL_MARK);
    else if (typeof v === "number") column.push(v);
    else if (v === NULL_MARK || v.includes(UNIT_SEPARATOR))
      throw new Error(
        `value holds a control character reserved by textColumn: ${JSON.stringify(v)}`,
      );
    else column.push(v);
  }
  /**
   * Appends JSON text made by JSON.stringify (or quoted like it) to column
   * `i`: it never holds a raw control character (JSON escapes them), so the
   * separator scan is skipped.
   */
  addJson(i: number, json: string): void {
    (this.#values[i] as string[]).push(json);
  }
  columns(): readonly string[] {
    // Every value terminated: an empty last element gives the final separator
    // inside the one join (a concatenation after it would be a rope to flatten).
    return this.#values.map((c) => {
      c.push("");
      const text = c.join(UNIT_SEPARATOR);
      c.pop();
      return text;
    });
  }
}

/** SQL for parameter `param` (e.g. "$1") as an array of `type`. The column must not be empty. */
export const textColumnSql = (param: string, type = "text"): string =>
  `trim_array(string_to_array(${param}::text, E'\\x1f', E'\\x1e'), 1)::${type}[]`;

/**
 * Empties a statement's parameter array once the driver has sent it: a
 * pipelined client (ADR 108) writes a statement's messages when it is queued,
 * so the values are bytes on their way to Postgres, and the array, which
 * node-postgres keeps until the answer, need not hold a batch's column texts
 * across the round trip. Held there, they were most of what a scavenge during
 * a transaction promoted to old space, and so of what the major GCs collected
 * (ADR 129). A client that has not sent the statement yet (not pipelining, or
 * still queueing) keeps them.
 */
export function forgetSentParams(client: unknown, values: unknown[]): void {
  const c = client as { pipeline?: unknown; _queryQueue?: { length: number } };
  if (c.pipeline === true && c._queryQueue?.length === 0) values.length = 0;
}
