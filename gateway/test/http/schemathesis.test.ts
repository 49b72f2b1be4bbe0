// A bounded, seeded Schemathesis pass over the gateway's own OpenAPI document
// (issue #7: fuzz from the document, in CI). Schemathesis comes from PyPI into
// the fxcore cache (scripts/ensure-schemathesis.sh); the run itself is
// gateway/fuzz/schemathesis.ts: no 5xx, every answer as documented.
import { execFile, spawn } from "node:child_process";
import { promisify } from "node:util";
import { beforeAll, expect, it } from "vitest";

const root = new URL("../../../", import.meta.url).pathname;
let st = "";

beforeAll(async () => {
  const { stdout } = await promisify(execFile)("bash", ["scripts/ensure-schemathesis.sh"], {
    cwd: root,
    timeout: 300_000,
  });
  st = stdout.trim();
}, 300_000);

it("Schemathesis finds no failure in any documented operation", async () => {
  const output: Buffer[] = [];
  const run = spawn(
    process.execPath,
    ["gateway/fuzz/schemathesis.ts", "--seed", process.env.SCHEMATHESIS_SEED ?? "20261123"],
    {
      cwd: root,
      env: {
        ...process.env,
        SCHEMATHESIS: st,
        SCHEMATHESIS_EXAMPLES: process.env.SCHEMATHESIS_EXAMPLES ?? "25",
        FUZZ_GATEWAY_PORT: "18193",
        FUZZ_PROXY_PORT: "18194",
        NO_COLOR: "1",
      },
    },
  );
  run.stdout.on("data", (c: Buffer) => output.push(c));
  run.stderr.on("data", (c: Buffer) => output.push(c));
  const code = await new Promise<number | null>((r) => run.on("exit", r));
  const text = Buffer.concat(output).toString("utf8");
  // On failure the whole report (failing cases with curl reproductions) is the message.
  expect(code, text).toBe(0);
  const generated = /(\d+) generated/.exec(text);
  expect(Number(generated?.[1] ?? 0), text).toBeGreaterThan(100);
  expect(text).not.toMatch(/\d+ failed/);
}, 300_000);
