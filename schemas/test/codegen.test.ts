import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadCatalog, type SchemaVersion } from "../src/catalog/catalog.ts";
import { generatedRecordsPath } from "../src/codegen/cli.ts";
import { formatTs } from "../src/codegen/format.ts";
import { generateRecordTypes } from "../src/codegen/record-types.ts";

describe("generated TS record types", () => {
  it("are what the current schemas generate (run `npm run codegen -w @fxcore/schemas` when this fails)", () => {
    const fresh = formatTs(generateRecordTypes(loadCatalog()), generatedRecordsPath);
    expect(readFileSync(generatedRecordsPath, "utf8")).toBe(fresh);
  });

  it("change when a schema changes", () => {
    const catalog = loadCatalog();
    const current = catalog.current("TimeAdvanced")!;
    const changed = {
      ...catalog,
      current: (n: string) =>
        n === "TimeAdvanced"
          ? {
              ...current,
              schema: {
                ...(current.schema as object),
                fields: [
                  ...current.schema.fields,
                  { name: "venue", type: ["null", "string"], default: null },
                ],
              } as SchemaVersion["schema"],
            }
          : catalog.current(n),
    };
    const source = generateRecordTypes(changed);
    expect(source).toMatch(
      /export interface TimeAdvancedRecord \{[^}]*readonly venue: string \| null;/,
    );
    expect(source).not.toBe(generateRecordTypes(catalog));
  });
});
