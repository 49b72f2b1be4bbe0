// npm run codegen -w @fxcore/schemas: regenerate src/generated/records.ts.

import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { loadCatalog } from "../catalog/catalog.ts";
import { formatTs } from "./format.ts";
import { generateRecordTypes } from "./record-types.ts";

export const generatedRecordsPath = fileURLToPath(
  new URL("../generated/records.ts", import.meta.url),
);

if (import.meta.main) {
  const source = formatTs(generateRecordTypes(loadCatalog()), generatedRecordsPath);
  writeFileSync(generatedRecordsPath, source);
  console.log(`wrote ${generatedRecordsPath}`);
}
