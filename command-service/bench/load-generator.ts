// The HTTP load generator of bench/command-throughput.ts, run as a child
// process so it does not share the service's event loop (a co-located gateway
// would not either); the parent counts its CPU separately.
//
// One NewOrderSingle per HTTP request, POST /orders, IN_FLIGHT closed loops
// over CONNECTIONS keep-alive sockets with HTTP/1.1 pipelining; or, with
// LOADGEN_BATCH=N (> 0), N orders per POST /orders/batch request (ADR 066,
// the gateway's shape: caller identity and traceparent per item) and
// IN_FLIGHT / N requests in flight, each answer counted as N commands. Client
// LOADGEN_CLIENT: "raw" (default, @fxcore/infra's http1Client, which the
// gateway uses too: the requests of one loop turn in one write per socket,
// the cheapest on CPU) or "undici" (a Pool with PIPELINING requests per
// connection). Each request has a
// fresh ClOrdID and a traceparent, like the gateway's calls.
//
// Protocol with the parent (IPC): it sends {type:"running"} once the loops
// run; on "open" it starts counting, on "close" it answers {type:"result"}
// with the window's count and latencies, stops and exits.
import { randomBytes } from "node:crypto";
import { type Latency, startLoops } from "@fxcore/event-store/bench";
import { http1Client } from "@fxcore/infra/http";
import { Pool } from "undici";
import { PAIRS } from "./order-pairs.ts";

const port = Number(process.env.LOADGEN_PORT);
const connections = Number(process.env.LOADGEN_CONNECTIONS ?? 64);
const pipelining = Number(process.env.LOADGEN_PIPELINING ?? 16);
const inFlight = Number(process.env.LOADGEN_IN_FLIGHT ?? 1024);
const account = process.env.LOADGEN_ACCOUNT ?? "ACC-1";
const client = process.env.LOADGEN_CLIENT ?? "raw";
const batchSize = Number(process.env.LOADGEN_BATCH ?? 0);

export interface LoadResult {
  readonly type: "result";
  readonly commands: number;
  readonly seconds: number;
  readonly latencyMs: Latency;
  readonly failures: number;
  readonly firstFailure: string | null;
}

const run = randomBytes(4).toString("hex");
const traceId = randomBytes(16).toString("hex");
let seq = 0;

let failures = 0;
let firstFailure: string | null = null;
const ACCEPTED = '"ordStatus":"0"';
const check = (status: number, body: string) => {
  // Every order is valid and new: anything but an accepted ExecutionReport is a failure.
  if (status !== 200 || !body.includes(ACCEPTED)) {
    failures++;
    firstFailure ??= `HTTP ${status}: ${body.slice(0, 300)}`;
  }
};

const bodyOf = (i: number): string => {
  const [symbol, price] = PAIRS[i % PAIRS.length] ?? ["EURUSD", "1.10000"];
  return `{"clOrdId":"b-${run}-${i}","account":"${account}","symbol":"${symbol}","side":"${i % 2 === 0 ? "BUY" : "SELL"}","ordType":"LIMIT","price":"${price}","orderQty":"1000","timeInForce":"GTC"}`;
};
const traceparent = (i: number) => `00-${traceId}-${i.toString(16).padStart(16, "0")}-01`;

const caller = `{"keyId":"bench","accounts":["${account}"],"roles":["trader"]}`;
/** A batch of `batchSize` fresh orders, as the gateway would send it. */
const batchOf = (): string => {
  let out = '{"items":[';
  for (let n = 0; n < batchSize; n++) {
    const i = seq++;
    const order = bodyOf(i);
    out += `${n === 0 ? "" : ","}{"caller":${caller},"traceparent":"${traceparent(i)}","command":{"kind":"place",${order.slice(1)}}`;
  }
  return `${out}]}`;
};
const ITEM = '{"status":';
const ITEM_ACCEPTED = '{"status":200,"body":{"report":{';
/** Every item must be an accepted ExecutionReport. */
const checkBatch = (status: number, text: string) => {
  let items = 0;
  let accepted = 0;
  for (let at = text.indexOf(ITEM); at >= 0; ) {
    const next = text.indexOf(ITEM, at + 1);
    items++;
    const ordStatus = text.indexOf('"ordStatus":"0"', at);
    if (text.startsWith(ITEM_ACCEPTED, at) && ordStatus >= 0 && (next < 0 || ordStatus < next))
      accepted++;
    at = next;
  }
  if (status !== 200 || items !== batchSize || accepted !== batchSize) {
    failures++;
    firstFailure ??= `HTTP ${status}: ${text.slice(0, 300)}`;
  }
};

let post: () => Promise<void>;
let close: () => Promise<void>;
if (client === "undici") {
  const pool = new Pool(`http://127.0.0.1:${port}`, {
    connections,
    pipelining,
    keepAliveTimeout: 30_000,
  });
  post = async () => {
    const i = seq++;
    const res = await pool.request({
      method: "POST",
      path: "/orders",
      // A resend of the same body is answered with the original answer (ClOrdID
      // dedupe), so the request is idempotent; undici pipelines only those.
      idempotent: true,
      headers: {
        "content-type": "application/json",
        accept: "application/json",
        "x-fxcore-accounts": account,
        traceparent: traceparent(i),
      },
      body: bodyOf(i),
    });
    check(res.statusCode, await res.body.text());
  };
  close = () => pool.close();
} else {
  const raw = http1Client({
    host: "127.0.0.1",
    port,
    connections,
    pipelining,
    timeoutMs: 60_000,
    connectTimeoutMs: 5_000,
  });
  const headers = `content-type: application/json\r\naccept: application/json\r\nx-fxcore-accounts: ${account}\r\n`;
  post =
    batchSize > 0
      ? async () => {
          const r = await raw.request(
            "POST",
            "/orders/batch",
            "content-type: application/json\r\naccept: application/json\r\n",
            batchOf(),
          );
          // The client's body is text already: checked as is (no re-encoding of ~45 KB per answer).
          if (r.ok) checkBatch(r.res.status, r.res.body);
          else checkBatch(0, r.reason);
        }
      : async () => {
          const i = seq++;
          const r = await raw.request(
            "POST",
            "/orders",
            `${headers}traceparent: ${traceparent(i)}\r\n`,
            bodyOf(i),
          );
          if (r.ok) check(r.res.status, r.res.body);
          else check(0, r.reason);
        };
  close = () => raw.close();
}

if (batchSize > 0 && client === "undici") throw new Error("LOADGEN_BATCH needs the raw client");
const loops =
  batchSize > 0
    ? startLoops(Math.max(1, Math.round(inFlight / batchSize)), batchSize, post)
    : startLoops(inFlight, 1, post);
process.send?.({ type: "running" });
process.on("message", (m: { type: string }) => {
  if (m.type === "open") loops.open();
  if (m.type === "close") {
    const window = loops.close();
    const result: LoadResult = { type: "result", ...window, failures, firstFailure };
    process.send?.(result, () => {
      void loops.stop().then(() => close().finally(() => process.exit(0)));
    });
  }
});
