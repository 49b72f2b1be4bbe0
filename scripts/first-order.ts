// npm run demo:first-order — with `npm start` running: ACC-1 rests a buy of
// 1,000,000 EUR/USD at 1.10000, ACC-2 sells into it (IOC), and both traders'
// execution reports are printed as they come out of the read side.
// Uses the demo keys `npm start` wrote to .fxcore/dev/.

import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { signedHeaders } from "@fxcore/gateway";

const base = process.env.FX_GATEWAY_URL ?? "http://127.0.0.1:8080";
const devDir = fileURLToPath(new URL("../.fxcore/dev/", import.meta.url));
const key = (n: number) => ({
  keyId: `demo-trader-${n}`,
  secret: Buffer.from(readFileSync(`${devDir}demo-trader-${n}.secret`, "utf8").trim(), "base64url"),
});

async function call(k: ReturnType<typeof key>, method: "GET" | "POST", path: string, body = "") {
  const headers = signedHeaders(k.keyId, k.secret, method, path, body, Date.now());
  if (method === "POST") headers["content-type"] = "application/json";
  const res = await fetch(new URL(path, base), {
    method,
    headers,
    ...(method === "POST" ? { body } : {}),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${text}`);
  return JSON.parse(text) as Record<string, unknown>;
}

// FIX UTCTimestamp: YYYYMMDD-HH:MM:SS.sss
const iso = new Date().toISOString();
const stamp = `${iso.slice(0, 10).replace(/-/g, "")}-${iso.slice(11, 23)}`;
const run = randomUUID().slice(0, 8);
const order = (clOrdId: string, side: "1" | "2", tif: string) =>
  JSON.stringify({
    MsgType: "D",
    ClOrdID: clOrdId,
    Symbol: "EURUSD",
    Side: side,
    TransactTime: stamp,
    OrderQty: "1000000",
    OrdType: "2",
    Price: "1.10000",
    TimeInForce: tif,
  });

const buyer = key(1);
const seller = key(2);
const show = (who: string, r: Record<string, unknown>) =>
  console.log(
    `${who}  35=${r.MsgType} 150=${r.ExecType} 39=${r.OrdStatus} ${r.Side === "1" ? "BUY " : "SELL"} ${r.OrderQty} ${r.Symbol} @ ${r.Price}  LastQty=${r.LastQty ?? "-"} LastPx=${r.LastPx ?? "-"} CumQty=${r.CumQty} LeavesQty=${r.LeavesQty} AvgPx=${r.AvgPx}`,
  );

console.log("order in:");
show("ACC-1 ", await call(buyer, "POST", "/v1/fix", order(`buy-${run}`, "1", "1")));
show("ACC-2 ", await call(seller, "POST", "/v1/fix", order(`sell-${run}`, "2", "3")));

console.log("fill out:");
const deadline = Date.now() + 15_000;
for (const [who, k, account, clOrdId] of [
  ["ACC-1 ", buyer, "ACC-1", `buy-${run}`],
  ["ACC-2 ", seller, "ACC-2", `sell-${run}`],
] as const) {
  for (;;) {
    const page = (await call(k, "GET", `/v1/executions?account=${account}`)) as {
      executions: { report: Record<string, unknown> }[];
    };
    const fill = page.executions
      .map((e) => e.report)
      .find((r) => r.ClOrdID === clOrdId && r.ExecType === "F");
    if (fill) {
      show(who, fill);
      break;
    }
    if (Date.now() > deadline) throw new Error(`no fill for ${clOrdId} within 15 s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
