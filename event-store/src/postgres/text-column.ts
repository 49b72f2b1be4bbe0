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
 * each), without an array of values per column first.
 */
export class TextColumns {
  readonly #out: string[];
  constructor(count: number) {
    this.#out = new Array<string>(count).fill("");
  }
  /** Appends a value to column `i`; same rules as textColumn. */
  add(i: number, v: string | number | null): void {
    this.#out[i] += element(v);
  }
  columns(): readonly string[] {
    return this.#out;
  }
}

/** SQL for parameter `param` (e.g. "$1") as an array of `type`. The column must not be empty. */
export const textColumnSql = (param: string, type = "text"): string =>
  `trim_array(string_to_array(${param}::text, E'\\x1f', E'\\x1e'), 1)::${type}[]`;
