import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { TextColumns, textColumn } from "../src/postgres/text-column.ts";

// TextColumns fills several columns row by row; each column must be exactly
// the text textColumn gives for its values (the SQL side splits either).
describe("TextColumns", () => {
  const value = fc.oneof(
    fc.string().filter((s) => !s.includes("\u001f") && s !== "\u001e"),
    fc.integer(),
    fc.constant(null),
    fc.constant(""),
  );

  test("each column is textColumn's text of its values", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(value, value, value), { maxLength: 30 }), (rows) => {
        const c = new TextColumns(3);
        for (const row of rows) for (let i = 0; i < row.length; i++) c.add(i, row[i] ?? null);
        expect(c.columns()).toEqual(
          [0, 1, 2].map((i) => textColumn(rows.map((r) => r[i] ?? null))),
        );
        // Reading the columns again gives the same text (nothing consumed).
        expect(c.columns()).toEqual(
          [0, 1, 2].map((i) => textColumn(rows.map((r) => r[i] ?? null))),
        );
      }),
    );
  });

  test("JSON text goes in unchecked and reads back as textColumn's", () => {
    fc.assert(
      fc.property(fc.array(fc.jsonValue(), { maxLength: 20 }), (values) => {
        const c = new TextColumns(1);
        const texts = values.map((v) => JSON.stringify(v));
        for (const t of texts) c.addJson(0, t);
        expect(c.columns()).toEqual([textColumn(texts)]);
      }),
    );
  });

  test("refuses the reserved control characters, like textColumn", () => {
    const c = new TextColumns(1);
    expect(() => c.add(0, "a\u001fb")).toThrow(/control character/);
    expect(() => c.add(0, "\u001e")).toThrow(/control character/);
    expect(() => textColumn(["a\u001fb"])).toThrow(/control character/);
  });
});
