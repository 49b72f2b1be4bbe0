// For `BENCH_UPSTREAM=stub`: answers command-service's POST /orders and
// POST /orders/batch (ADR 066) with well-formed ExecutionReports New at once,
// no storage, so the benchmark shows the gateway's own ceiling (parse,
// validate, verify, limit, one HTTP hop, render). Not a command-service:
// never used outside the benchmark.

import http from "node:http";
import { REFERENCE_CATALOG, type Symbol, parsePrice, parseQty } from "@fxcore/domain";

let n = 0;
const answer = (b: Record<string, string>) => {
  const inst = REFERENCE_CATALOG.get(b.symbol as Symbol)!;
  const price = parsePrice(b.price!, inst);
  const qty = parseQty(b.orderQty!, inst);
  n++;
  const orderId = `stub-${n}`;
  const report = {
    msgType: "8",
    orderId,
    clOrdId: b.clOrdId,
    origClOrdId: null,
    execId: null,
    execType: "0",
    ordStatus: "0",
    account: b.account,
    symbol: b.symbol,
    side: b.side,
    ordType: b.ordType,
    price: price.ok ? price.value : null,
    orderQty: qty.ok ? qty.value : 0,
    timeInForce: b.timeInForce ?? "DAY",
    expireTime: null,
    lastQty: null,
    lastPx: null,
    cumQty: 0,
    leavesQty: qty.ok ? qty.value : 0,
    avgPx: { tradedNotional: "0", cumQty: 0 },
    ordRejReason: null,
    text: null,
    transactTime: (BigInt(Date.now()) * 1_000_000n).toString(),
  };
  return { report, position: String(n), orderId, resent: false };
};

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    if (req.url === "/readyz") {
      res.writeHead(200, { "content-type": "application/json" }).end('{"status":"ready"}');
      return;
    }
    const b = JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>;
    const body =
      req.url === "/orders/batch"
        ? {
            answers: (b.items as Array<{ command: Record<string, string> }>).map((it) => ({
              status: 200,
              body: answer(it.command),
            })),
          }
        : answer(b as Record<string, string>);
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.env.PORT ?? 18185), "127.0.0.1");
process.once("SIGTERM", () => server.close(() => process.exit(0)));
