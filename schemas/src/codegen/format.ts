// Generated code is formatted by the repo's formatter, so the committed file
// and a fresh generation compare byte for byte.

import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const biome = fileURLToPath(new URL("../../../node_modules/.bin/biome", import.meta.url));

export function formatTs(source: string, fileName: string): string {
  return execFileSync(biome, ["format", `--stdin-file-path=${fileName}`], {
    input: source,
    encoding: "utf8",
  });
}
