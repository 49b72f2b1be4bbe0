// A tiny signed client for the walkthrough and for ops:
//   FX_KEY_ID=… FX_SECRET=… node gateway/src/cli/send.ts POST /v1/fix '{"MsgType":"D",…}'
//   FX_KEY_ID=… FX_SECRET=… node gateway/src/cli/send.ts GET /v1/orders/ord-1
// Content type: application/fix when the body does not start with "{".
// Env: FX_GATEWAY_URL (default http://127.0.0.1:8080), FX_KEY_ID, FX_SECRET (base64url).

import { signedHeaders } from "../auth/signing.ts";

const [method = "GET", path = "/v1/time", body = ""] = process.argv.slice(2);
const base = process.env.FX_GATEWAY_URL ?? "http://127.0.0.1:8080";
const keyId = process.env.FX_KEY_ID;
const secret = process.env.FX_SECRET;
if (!keyId || !secret) {
  console.error("set FX_KEY_ID and FX_SECRET (from `node gateway/src/cli/keys.ts create …`)");
  process.exit(2);
}
const m = method.toUpperCase();
const headers: Record<string, string> = signedHeaders(
  keyId,
  Buffer.from(secret, "base64url"),
  m,
  path,
  body,
  Date.now(),
);
if (m === "POST")
  headers["content-type"] = body.trimStart().startsWith("{")
    ? "application/json"
    : "application/fix";
const res = await fetch(new URL(path, base), {
  method: m,
  headers,
  ...(m === "POST" ? { body } : {}),
});
console.log(
  `HTTP ${res.status}${res.headers.get("fx-error-code") ? ` ${res.headers.get("fx-error-code")}` : ""}`,
);
console.log(await res.text());
process.exitCode = res.ok ? 0 : 1;
