// Part of npm run bench:eventstore — commands/s through command-service.
//
// Workload: NewOrderSingle LIMIT GTC orders (8 pairs, one account, a fresh
// ClOrdID each), each decided by the domain, risk-checked, encoded by the real
// serde (schema registry at SCHEMA_REGISTRY_URL) and written with its ClOrdID
// claim, event and outbox row by the group-commit writer, on a fresh database
// of the Postgres at DATABASE_URL. Scenarios, BENCH_SECONDS each after a 1 s
// warm-up (BENCH_SCENARIOS picks some: handler,inject,http,batch):
//   handler — CommandHandler.place in this process, 1,024 in flight (the
//             service minus HTTP);
//   inject  — Fastify's full request path via app.inject (no socket), 1,024;
//   http    — the real service (src/main.ts, relay and session clock off) with
//             WORKERS API processes on 127.0.0.1:PORT (default 8081), once per
//             entry of BENCH_WORKERS ("1,2"; 0 = the service inside this
//             process), driven over real
//             sockets by bench/load-generator.ts in a child process: one order
//             per HTTP request over BENCH_CONNECTIONS (64) keep-alive
//             connections, BENCH_PIPELINING (16) pipelined on each,
//             BENCH_IN_FLIGHT (1,024) in all;
//   batch   — the same service and load generator, but BENCH_HTTP_BATCH (64)
//             orders per POST /orders/batch request (ADR 066: the gateway's
//             batches), BENCH_IN_FLIGHT / BENCH_HTTP_BATCH requests in flight
//             over BENCH_BATCH_CONNECTIONS (8) connections; commands/s counts
//             individually accepted orders.
// BENCH_SERVICE_NODE_FLAGS (e.g. "--trace-gc-nvp --minor-ms") adds Node/V8
// flags to the service processes of http and batch, for A/B runs.
// Each scenario also prints CPU µs per command of the service process, the
// load generator and the database's Postgres backends (the signal that holds
// on a busy machine). The relay is not running: publishing is measured by the
// relay crash test.
import { type ChildProcess, fork } from "node:child_process";
import { randomUUID } from "node:crypto";
import { cpus } from "node:os";
import {
  type CpuProbe,
  closedLoop,
  cpuProfile,
  formatResult,
  machineLine,
  measureWindow,
  pidCpu,
  postgresCpu,
  processTree,
  type Result,
  rate,
  selfCpu,
  sleep,
} from "@fxcore/event-store/bench";
import { createPgPool, createScratchDatabase } from "@fxcore/infra";
import { createSerde } from "@fxcore/schemas";
import pg from "pg";
import { ACCOUNTS_HEADER, createCommandService, type PlaceRequest } from "../src/index.ts";
import type { LoadResult } from "./load-generator.ts";
import { PAIRS } from "./order-pairs.ts";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const SCENARIOS = new Set((process.env.BENCH_SCENARIOS ?? "handler,inject,http,batch").split(","));
const HTTP_BATCH = Number(process.env.BENCH_HTTP_BATCH ?? 64);
const IN_FLIGHT = Number(process.env.BENCH_IN_FLIGHT ?? 1024);
const baseUrl = process.env.DATABASE_URL ?? "postgres://fxcore:fxcore@127.0.0.1:15432/fxcore";
const registryUrl = process.env.SCHEMA_REGISTRY_URL ?? "http://127.0.0.1:18081/apis/ccompat/v7";
const TARGET = 15_000;

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

// Node/V8 flags for the service processes, for A/B runs of runtime settings
// (ADR 100); none by default: the service runs as deployed (the image's CMD).
const serviceFlags = (process.env.BENCH_SERVICE_NODE_FLAGS ?? "")
  .split(" ")
  .filter((f) => f !== "");

/** The service as deployed: src/main.ts with `workers` API processes; resolves once all listen. */
async function startService(databaseUrl: string, port: number, workers: number) {
  const profile = process.env.BENCH_CPU_PROFILE;
  const child = fork(new URL("../src/main.ts", import.meta.url), {
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      SCHEMA_REGISTRY_URL: registryUrl,
      KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? "127.0.0.1:19092",
      PORT: String(port),
      WORKERS: String(workers),
      OUTBOX_RELAY: "off",
      SESSION_CLOCK: "off",
      LOG_LEVEL: "warn",
    },
    execArgv: [...serviceFlags, ...(profile ? ["--cpu-prof", `--cpu-prof-dir=${profile}`] : [])],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  await new Promise<void>((resolve, reject) => {
    child.once("message", () => resolve());
    child.once("exit", (code) => reject(new Error(`command-service exited (${code})`)));
  });
  return {
    pids: () => processTree(child.pid ?? 0),
    stop: async () => {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
    },
  };
}

/** The HTTP scenario: the load generator child drives the listening service. */
interface LoadShape {
  /** Orders per request; 0 = POST /orders, one order each. */
  readonly batch: number;
  readonly connections: number;
  readonly pipelining: number;
}
const singleShape: LoadShape = {
  batch: 0,
  connections: Number(process.env.BENCH_CONNECTIONS ?? 64),
  pipelining: Number(process.env.BENCH_PIPELINING ?? 16),
};
const batchShape: LoadShape = {
  batch: HTTP_BATCH,
  connections: Number(process.env.BENCH_BATCH_CONNECTIONS ?? 8),
  pipelining: Math.ceil(IN_FLIGHT / HTTP_BATCH / Number(process.env.BENCH_BATCH_CONNECTIONS ?? 8)),
};
const shapeText = (s: LoadShape) =>
  s.batch === 0
    ? `POST /orders, ${IN_FLIGHT}: ${s.connections}x${s.pipelining}`
    : `POST /orders/batch of ${s.batch}, ${IN_FLIGHT}: ${s.connections}x${s.pipelining}`;

async function overHttp(
  name: string,
  port: number,
  probes: CpuProbe[],
  shape: LoadShape,
): Promise<Result> {
  const child: ChildProcess = fork(new URL("./load-generator.ts", import.meta.url), {
    env: {
      ...process.env,
      LOADGEN_PORT: String(port),
      LOADGEN_CONNECTIONS: String(shape.connections),
      LOADGEN_PIPELINING: String(shape.pipelining),
      LOADGEN_IN_FLIGHT: String(IN_FLIGHT),
      LOADGEN_BATCH: String(shape.batch),
    },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const next = <T>(type: string) =>
    new Promise<T>((resolve, reject) => {
      const onMessage = (m: { type: string }) => {
        if (m.type !== type) return;
        child.off("message", onMessage);
        child.off("exit", onExit);
        resolve(m as T);
      };
      const onExit = (code: number | null) =>
        reject(new Error(`load generator exited (${code}) before ${type}`));
      child.on("message", onMessage);
      child.once("exit", onExit);
    });
  await next("running");
  // Longer than in-process scenarios: fresh service processes still compile their hot paths.
  await sleep(2000);
  const all = [...probes, pidCpu("load generator", child.pid ?? 0)];
  let result: LoadResult | undefined;
  const window = await measureWindow(all, async () => {
    child.send({ type: "open" });
    await sleep(SECONDS * 1000);
    const answer = next<LoadResult>("result");
    child.send({ type: "close" });
    result = await answer;
    return result;
  });
  await new Promise((r) => (child.exitCode === null ? child.once("exit", r) : r(null)));
  if (result === undefined || result.failures > 0)
    throw new Error(`${result?.failures} requests failed, first: ${result?.firstFailure}`);
  return { name, ...window };
}

const dbName = `bench_cs_${Date.now().toString(36)}`;
const admin = new pg.Client({ connectionString: baseUrl });
await admin.connect();
const scratch = await createScratchDatabase(baseUrl, dbName);
// Durable commits, whatever the server's default (the local infra's is off).
await admin.query(`ALTER DATABASE ${dbName} SET synchronous_commit = on`);
const pool = createPgPool({
  connectionString: scratch.url,
  applicationName: "bench-command-service",
  max: 12,
});
try {
  const service = await createCommandService({
    pool,
    codec: createSerde({ registryUrl }),
    topic: "fx.orders",
    // The service's defaults unless overridden.
    writer: {
      ...(process.env.BENCH_MAX_BATCH ? { maxBatch: Number(process.env.BENCH_MAX_BATCH) } : {}),
      ...(process.env.BENCH_WRITERS ? { concurrency: Number(process.env.BENCH_WRITERS) } : {}),
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
  const probes = (): CpuProbe[] => [
    selfCpu("service"),
    postgresCpu("postgres", admin, dbName),
    cpuProfile(`command-service-${++scenarioNo}`),
  ];
  let scenarioNo = 0;

  console.log(`\ncommand-service throughput — ${machineLine()}`);
  const results: [string, Result][] = [];
  let lastPosition = "0";
  const show = async (key: string, r: Result, processes = 1) => {
    console.log(formatResult(r));
    // CPU-bound ceilings at these costs: the service's one thread alone, and all parties on the 2 cores.
    const service = r.cpuPerCommand.get("service") ?? 0;
    const total = [...r.cpuPerCommand.values()].reduce((a, b) => a + b, 0);
    console.log(
      `${"".padEnd(40)} CPU-bound ceiling: service ${processes === 1 ? "thread" : `${processes} threads`} ${Math.round((processes * 1e6) / Math.max(1, service))} cmd/s, all on ${cpus().length} cores ${Math.round((cpus().length * 1e6) / Math.max(1, total))} cmd/s`,
    );
    // Group commit as it happened: events per writing transaction since the last scenario.
    const { rows } = await pool.query<{ n: string; tx: string; last: string | null }>(
      `SELECT count(*) AS n, count(DISTINCT transaction_id) AS tx, max(global_position) AS last
       FROM es_events WHERE global_position > $1`,
      [lastPosition],
    );
    const g = rows[0];
    lastPosition = g?.last ?? lastPosition;
    console.log(
      `${"".padEnd(40)} group commit: ${(Number(g?.n ?? 0) / Math.max(1, Number(g?.tx ?? 0))).toFixed(0)} commands/transaction`,
    );
    results.push([key, r]);
  };
  if (SCENARIOS.has("handler"))
    await show(
      "handler",
      await closedLoop({
        name: `handler.place (${IN_FLIGHT} in flight)`,
        clients: IN_FLIGHT,
        seconds: SECONDS,
        probes: probes(),
        op: async () => {
          const a = await service.handler.place(order(), ctx());
          if (a.report?.msgType !== "8" || a.report.ordStatus !== "0")
            throw new Error(`not accepted: ${JSON.stringify(a.report)}`);
        },
      }),
    );
  if (SCENARIOS.has("inject"))
    await show(
      "inject",
      await closedLoop({
        name: `HTTP POST /orders (inject, ${IN_FLIGHT})`,
        clients: IN_FLIGHT,
        seconds: SECONDS,
        probes: probes(),
        op: async () => {
          const res = await service.app.inject({
            method: "POST",
            url: "/orders",
            headers: { [ACCOUNTS_HEADER]: "ACC-1", "content-type": "application/json" },
            payload: JSON.stringify(order()),
          });
          if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode}: ${res.body}`);
        },
      }),
    );
  const shapes: [string, LoadShape][] = [
    ...(SCENARIOS.has("http") ? [["http", singleShape] as [string, LoadShape]] : []),
    ...(SCENARIOS.has("batch") ? [["batch", batchShape] as [string, LoadShape]] : []),
  ];
  if (shapes.length > 0) {
    const port = Number(process.env.PORT ?? 8081);
    for (const workers of (process.env.BENCH_WORKERS ?? "1,2").split(",").map(Number)) {
      // Single and batched side by side, on the same service processes.
      for (const [key, shape] of shapes) {
        if (workers === 0) {
          await service.app.listen({ host: "127.0.0.1", port });
          await show(key, await overHttp(`HTTP (${shapeText(shape)})`, port, probes(), shape));
          await service.app.close();
          continue;
        }
        const external = await startService(scratch.url, port, workers);
        try {
          await show(
            `${key} ${workers} proc`,
            await overHttp(
              `HTTP ${shapeText(shape)}, ${workers} proc`,
              port,
              [pidCpu("service", external.pids()), postgresCpu("postgres", admin, dbName)],
              shape,
            ),
            workers,
          );
        } finally {
          await external.stop();
        }
      }
    }
  }
  const stored = await pool.query<{ n: string }>("SELECT count(*) AS n FROM es_events");
  console.log(
    `(stored ${stored.rows[0]?.n} events; target >= ${TARGET} cmd/s: ${results
      .map(([key, r]) => `${key} ${rate(r) >= TARGET ? "met" : "NOT met"}`)
      .join(", ")})`,
  );
  await service.close();
} finally {
  await pool.end();
  await scratch.drop();
  await admin.end();
}
