// Fuzz the gateway from its own OpenAPI document with Schemathesis (PyPI):
//   SCHEMATHESIS=$(bash scripts/ensure-schemathesis.sh) node gateway/fuzz/schemathesis.ts [extra st args]
// (CI runs a bounded, seeded pass of it: gateway/test/http/schemathesis.test.ts.)
// st_hooks.py teaches Schemathesis the application/fix body. The gateway (port 18188) runs with the domain-backed order entry of the
// tests; a signing proxy (18189; FUZZ_GATEWAY_PORT / FUZZ_PROXY_PORT) signs every request with a trader key, so
// the fuzz reaches the FIX layer instead of stopping at 401. Schemathesis
// checks: no 5xx, responses conform to the documented schemas and statuses.

import { spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import http from "node:http";
import { homedir } from "node:os";
import { signedHeaders } from "../src/auth/signing.ts";
import { makeHarness } from "../test/support/harness.ts";

const GW = Number(process.env.FUZZ_GATEWAY_PORT ?? 18188);
const PROXY = Number(process.env.FUZZ_PROXY_PORT ?? 18189);
const st = process.env.SCHEMATHESIS ?? "st";
const examples = process.env.SCHEMATHESIS_EXAMPLES ?? "200";

const h = await makeHarness({ now: () => Date.now() });
const key = h.addKey({ accounts: ["ACC1"], roles: ["trader"] });
await h.app.listen({ host: "127.0.0.1", port: GW });

const proxy = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    const body = Buffer.concat(chunks);
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(req.headers))
      if (v !== undefined && k !== "host") headers[k] = v;
    // Signed on the path as sent, so a fuzzed query string is covered too.
    Object.assign(
      headers,
      signedHeaders(key.id, key.secret, req.method ?? "GET", req.url ?? "/", body, Date.now()),
    );
    const up = http.request(
      { host: "127.0.0.1", port: GW, method: req.method, path: req.url, headers },
      (ur) => {
        res.writeHead(ur.statusCode ?? 502, ur.headers);
        ur.pipe(res);
      },
    );
    up.on("error", (e) => res.writeHead(502).end(String(e)));
    up.end(body);
  });
});
await new Promise<void>((r) => proxy.listen(PROXY, "127.0.0.1", r));

// Hypothesis and Schemathesis keep their databases in the working directory: not the repo.
const workDir = `${process.env.FXCORE_CACHE ?? `${homedir()}/.cache/fxcore`}/schemathesis`;
mkdirSync(workDir, { recursive: true });
const run = spawn(
  st,
  [
    "run",
    `http://127.0.0.1:${GW}/openapi.json`,
    "--url",
    `http://127.0.0.1:${PROXY}`,
    "--checks",
    "all",
    "--exclude-checks",
    // The proxy signs requests, so auth-header checks cannot be judged here
    // (signatures are covered by the gateway's own tests); and a schema-valid
    // order may still be refused by business rules the schema cannot express
    // (Price for a limit order, lot size, unknown symbol → 422).
    "ignored_auth,missing_required_header,negative_data_rejection,positive_data_acceptance",
    "--max-examples",
    examples,
    "--exclude-path",
    "/v1/executions/stream",
    ...process.argv.slice(2),
  ],
  {
    cwd: workDir,
    stdio: "inherit",
    env: {
      ...process.env,
      SCHEMATHESIS_HOOKS: "st_hooks",
      PYTHONPATH: new URL(".", import.meta.url).pathname,
    },
  },
);
const code: number = await new Promise((r) => run.on("exit", (c) => r(c ?? 1)));
proxy.close();
await h.app.close();
process.exit(code);
