// Part of npm run bench:eventstore — commands/s through command-service.
//
// Workload: NewOrderSingle LIMIT orders (8 pairs, 1,000 accounts' worth of
// distinct ClOrdIDs on one account), each decided by the domain, encoded by the
// real serde (schema registry at SCHEMA_REGISTRY_URL) and written with its
// ClOrdID claim, event and outbox row by the group-commit writer, on a fresh
// database of the Postgres at DATABASE_URL. Three entry points, BENCH_SECONDS each
// after a 1 s warm-up:
//   handler — CommandHandler.place, 1,024 commands in flight (the service minus HTTP);
//   inject  — Fastify's full request path (routing, JSON schema validation,
//             serialization) via app.inject, 1,024 in flight, no socket;
//   socket  — real HTTP on 127.0.0.1:PORT (8081) from a node:http keep-alive
//             agent (256 sockets, 1,024 in flight) in the same process: the
//             client shares the two cores, as a co-located gateway would.
// The relay is not running: publishing is measured by the relay crash test.
import { randomUUID } from "node:crypto";
import { Agent, request } from "node:http";
import { cpus, loadavg, totalmem } from "node:os";
import { createPgPool } from "@fxcore/infra";
import { createSerde } from "@fxcore/schemas";
import * as hdr from "hdr-histogram-js";
import pg from "pg";
import { ACCOUNTS_HEADER, createCommandService, type PlaceRequest } from "../src/index.ts";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const baseUrl = process.env.DATABASE_URL ?? "postgres://fxcore:fxcore@127.0.0.1:15432/fxcore";
const registryUrl = process.env.SCHEMA_REGISTRY_URL ?? "http://127.0.0.1:18081/apis/ccompat/v7";
const PAIRS: readonly [string, string][] = [
  ["EURUSD", "1.10000"],
  ["GBPUSD", "1.25000"],
  ["USDJPY", "150.000"],
  ["USDCHF", "0.90000"],
  ["AUDUSD", "0.65000"],
  ["USDCAD", "1.35000"],
  ["NZDUSD", "0.60000"],
  ["EURJPY", "160.000"],
];

let seq = 0;
const order = (): PlaceRequest => {
  const i = seq++;
  const [symbol, price] = PAIRS[i % PAIRS.length] ?? ["EURUSD", "1.10000"];
  return {
    clOrdId: `b-${i}-${randomUUID().slice(0, 8)}`,
    account: "ACC-1",
    symbol,
    side: i % 2 === 0 ? "BUY" : "SELL",
    ordType: "LIMIT",
    price,
    orderQty: "1000",
    timeInForce: "GTC",
  };
};

async function measure(name: string, inFlight: number, op: () => Promise<void>): Promise<number> {
  const histogram = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 60_000_000,
    numberOfSignificantValueDigits: 3,
  });
  let measuring = false;
  let stop = false;
  let done = 0;
  const loop = async () => {
    while (!stop) {
      const t0 = performance.now();
      await op();
      if (measuring) {
        histogram.recordValue(Math.max(1, Math.round((performance.now() - t0) * 1000)));
        done++;
      }
    }
  };
  const loops = Array.from({ length: inFlight }, loop);
  await new Promise((r) => setTimeout(r, 1000));
  measuring = true;
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  measuring = false;
  const seconds = (performance.now() - t0) / 1000;
  stop = true;
  await Promise.all(loops);
  const rate = Math.round(done / seconds);
  const p = (q: number) => (histogram.getValueAtPercentile(q) / 1000).toFixed(2);
  console.log(
    `${name.padEnd(34)} ${String(rate).padStart(8)} cmd/s   latency ms p50 ${p(50)}  p99 ${p(99)}  p99.9 ${p(99.9)}  max ${p(100)}`,
  );
  return rate;
}

const dbName = `bench_cs_${Date.now().toString(36)}`;
const admin = new pg.Client({ connectionString: baseUrl });
await admin.connect();
await admin.query(`CREATE DATABASE ${dbName}`);
const url = new URL(baseUrl);
url.pathname = `/${dbName}`;
const pool = createPgPool({
  connectionString: url.toString(),
  applicationName: "bench-command-service",
  max: 12,
});
try {
  const service = await createCommandService({
    pool,
    codec: createSerde({ registryUrl }),
    topic: "fx.orders",
    // The service's defaults (512 commands per transaction, 4 in flight) unless overridden.
    writer: {
      maxBatch: Number(process.env.BENCH_MAX_BATCH ?? 512),
      concurrency: Number(process.env.BENCH_WRITERS ?? 4),
    },
  });
  await pool.query(
    "INSERT INTO cs_accounts (account, enabled, max_order_qty, max_notional, credit_limit) VALUES ('ACC-1', true, 1000000000, 1000000000000, 1000000000000000)",
  );
  await service.risk.refresh();
  const ctx = () => ({
    correlationId: randomUUID(),
    traceparent: null,
    tracestate: null,
    receivedAtNs: 0n as never,
  });

  console.log(
    `\ncommand-service throughput — ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.versions.node}, load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}`,
  );
  const handlerRate = await measure("handler.place (1024 in flight)", 1024, async () => {
    const a = await service.handler.place(order(), ctx());
    if (a.report?.msgType !== "8" || a.report.ordStatus !== "0")
      throw new Error(`not accepted: ${JSON.stringify(a.report)}`);
  });
  const httpRate = await measure("HTTP POST /orders (inject, 1024)", 1024, async () => {
    const res = await service.app.inject({
      method: "POST",
      url: "/orders",
      headers: { [ACCOUNTS_HEADER]: "ACC-1", "content-type": "application/json" },
      payload: JSON.stringify(order()),
    });
    if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode}: ${res.body}`);
  });
  // Real sockets: the service listening on PORT (default 8081), a keep-alive client in this process.
  const port = Number(process.env.PORT ?? 8081);
  await service.app.listen({ host: "127.0.0.1", port });
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const post = (body: string) =>
    new Promise<void>((resolve, reject) => {
      const req = request(
        {
          agent,
          host: "127.0.0.1",
          port,
          method: "POST",
          path: "/orders",
          headers: {
            [ACCOUNTS_HEADER]: "ACC-1",
            "content-type": "application/json",
            "content-length": Buffer.byteLength(body),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () =>
            res.statusCode === 200
              ? resolve()
              : reject(new Error(`HTTP ${res.statusCode}: ${Buffer.concat(chunks)}`)),
          );
        },
      );
      req.on("error", reject);
      req.end(body);
    });
  const socketRate = await measure("HTTP POST /orders (socket, 1024)", 1024, () =>
    post(JSON.stringify(order())),
  );
  agent.destroy();
  const stored = await pool.query<{ n: string }>("SELECT count(*) AS n FROM es_events");
  console.log(
    `(stored ${stored.rows[0]?.n} events; target >= 15000 cmd/s: handler ${handlerRate >= 15000 ? "met" : "NOT met"}, inject ${httpRate >= 15000 ? "met" : "NOT met"}, socket ${socketRate >= 15000 ? "met" : "NOT met"})`,
  );
  await service.close();
} finally {
  await pool.end();
  await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  await admin.end();
}
