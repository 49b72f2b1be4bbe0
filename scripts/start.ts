// npm start (./fx start): the whole trading core on this machine.
//
// Starts (or reuses) the local Kafka, schema registry and Postgres, provisions
// the topics, starts every service as its own process, seeds demo accounts
// and demo API keys, and prints how to send a first order. Ctrl-C stops the
// services, then the infrastructure this run started.
// Logs: .fxcore/logs/<service>.log. Demo credentials: .fxcore/dev/.

import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { createKafka, createPgPool } from "@fxcore/infra";
import { acquireInfra } from "@fxcore/infra/local";
import { BACK_END_NICE, renice, scheduleBatch } from "@fxcore/infra/scheduling";
import { provisionTopics } from "@fxcore/schemas";

const root = fileURLToPath(new URL("..", import.meta.url));
const logDir = `${root}.fxcore/logs/`;
const devDir = `${root}.fxcore/dev/`;
mkdirSync(logDir, { recursive: true });
mkdirSync(devDir, { recursive: true });

const say = (msg: string) => process.stderr.write(`fxcore: ${msg}\n`);

interface Service {
  readonly name: string;
  readonly entry: string;
  readonly port: number;
  readonly env?: Record<string, string>;
  /** Node flags, as the k8s manifests give them (ADR 131). */
  readonly nodeFlags?: readonly string[];
  /** On the order path: SCHED_BATCH on this one host (ADR 135). */
  readonly schedBatch?: true;
  /** The order path's back end: first to a core in a burst (ADR 137). */
  readonly backEnd?: true;
}

// Scavenges on the main thread: helper threads only take cores from the
// other processes of the order path (ADR 131).
const NO_PARALLEL_SCAVENGE = ["--no-parallel-scavenge"];
// And no allocation-site pretenuring: it sent command-service's short-lived
// query rows straight to old space, where only major GCs free them (ADR 134).
const COMMAND_SERVICE_FLAGS = [...NO_PARALLEL_SCAVENGE, "--no-allocation-site-pretenuring"];

const SERVICES: readonly Service[] = [
  {
    name: "command-service",
    entry: "command-service/src/main.ts",
    port: 8081,
    nodeFlags: COMMAND_SERVICE_FLAGS,
    schedBatch: true,
    backEnd: true,
  },
  {
    name: "matcher",
    entry: "matcher/src/main.ts",
    port: 8083,
    env: { MATCHER_SESSION_TIMEOUT_MS: "10000", MATCHER_HEARTBEAT_MS: "1000" },
  },
  { name: "projection-service", entry: "projection-service/src/main.ts", port: 8084 },
  { name: "query-api", entry: "query-api/src/main.ts", port: 8082 },
  {
    name: "gateway",
    entry: "gateway/src/main.ts",
    port: 8080,
    nodeFlags: NO_PARALLEL_SCAVENGE,
    schedBatch: true,
  },
];

/** Demo traders: each bound to its own account, with pre-trade limits. */
const DEMO_ACCOUNTS = ["ACC-1", "ACC-2"] as const;

const children = new Map<string, ChildProcess>();
let stopping = false;

say(
  "starting local infrastructure (first run downloads Kafka and the registry from Maven Central)…",
);
const infra = await acquireInfra();
const settings = infra.settings;
say(
  `infrastructure (${infra.source}): Kafka ${settings.KAFKA_BROKERS}, registry ${settings.SCHEMA_REGISTRY_URL}, Postgres ${redact(settings.DATABASE_URL)}`,
);

const stopAll = async (code: number) => {
  if (stopping) return;
  stopping = true;
  say("stopping services…");
  await Promise.all(
    [...children.values()].reverse().map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null) return resolve();
          const timer = setTimeout(() => c.kill("SIGKILL"), 10_000);
          c.once("exit", () => {
            clearTimeout(timer);
            resolve();
          });
          c.kill("SIGTERM");
        }),
    ),
  );
  say("releasing infrastructure…");
  await infra.release().catch((e: unknown) => say(`infra release failed: ${String(e)}`));
  process.exit(code);
};
process.on("SIGINT", () => void stopAll(0));
process.on("SIGTERM", () => void stopAll(0));

try {
  const kafka = createKafka({ brokers: settings.KAFKA_BROKERS, clientId: "fxcore-start" });
  const topics = await provisionTopics(kafka);
  say(
    `topics: created ${topics.created.join(", ") || "none"}; present ${topics.existing.join(", ") || "none"}`,
  );

  const masterKey = devSecret("gateway-master-key", () => randomBytes(32).toString("base64"));
  const baseEnv: Record<string, string> = {
    ...(process.env as Record<string, string>),
    ...settings,
    LOG_LEVEL: process.env.LOG_LEVEL ?? "info",
    FXCORE_REGION: "local",
    GATEWAY_MASTER_KEY: masterKey,
    COMMAND_SERVICE_URL: "http://127.0.0.1:8081",
  };
  for (const service of SERVICES) {
    start(service, baseEnv);
    await waitReady(service);
    say(`${service.name} ready on :${service.port}`);
  }
  await seedAccounts(settings.DATABASE_URL);
  const keys = await seedKeys(baseEnv);
  printWelcome(keys);
} catch (e) {
  say(`start failed: ${(e as Error).stack ?? String(e)}`);
  say(`logs are in ${logDir}`);
  await stopAll(1);
}

function start(service: Service, env: Record<string, string>): void {
  const log = createWriteStream(`${logDir}${service.name}.log`, { flags: "a" });
  const child = spawn(process.execPath, [...(service.nodeFlags ?? []), `${root}${service.entry}`], {
    cwd: root,
    env: { ...env, ...service.env, PORT: String(service.port) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  child.on("exit", (code, signal) => {
    if (stopping) return;
    say(
      `${service.name} exited (${signal ?? code}); see ${logDir}${service.name}.log — stopping everything`,
    );
    void stopAll(1);
  });
  children.set(service.name, child);
  if (service.schedBatch && child.pid !== undefined)
    void scheduleBatch([child.pid]).then((err) => {
      if (err) say(`${service.name} keeps the default scheduling policy: ${err.message}`);
    });
  if (service.backEnd && child.pid !== undefined)
    void renice([child.pid], BACK_END_NICE).then((err) => {
      if (err) say(`${service.name} keeps nice 0 (lowering it needs root): ${err.message}`);
    });
}

async function waitReady(service: Service): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const ready = await fetch(`http://127.0.0.1:${service.port}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) return;
    if (stopping) throw new Error("stopping");
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${service.name} not ready after 120 s`);
}

async function seedAccounts(databaseUrl: string): Promise<void> {
  const pool = createPgPool({
    connectionString: databaseUrl,
    applicationName: "fxcore-start",
    max: 1,
  });
  try {
    for (const account of DEMO_ACCOUNTS) {
      // 10M units per order, 50M notional per order and 500M open exposure, in quote-currency units.
      await pool.query(
        `INSERT INTO cs_accounts (account, enabled, max_order_qty, max_notional, credit_limit)
         VALUES ($1, true, 10000000, 50000000, 500000000) ON CONFLICT (account) DO NOTHING`,
        [account],
      );
    }
  } finally {
    await pool.end();
  }
}

interface DemoKey {
  readonly account: string;
  readonly keyId: string;
  readonly secret: string;
}

async function seedKeys(env: Record<string, string>): Promise<DemoKey[]> {
  const keys: DemoKey[] = [];
  for (const [i, account] of DEMO_ACCOUNTS.entries()) {
    const keyId = `demo-trader-${i + 1}`;
    const secret = devSecret(`${keyId}.secret`, () => randomBytes(32).toString("base64url"));
    const out = await run(
      process.execPath,
      [
        `${root}gateway/src/cli/keys.ts`,
        "create",
        "--account",
        account,
        "--role",
        "trader",
        "--key-id",
        keyId,
        "--secret",
        secret,
      ],
      env,
    );
    if (out.code !== 0) throw new Error(`creating ${keyId} failed: ${out.stderr}`);
    keys.push({ account, keyId, secret });
  }
  return keys;
}

function printWelcome(keys: readonly DemoKey[]): void {
  const [k1, k2] = keys;
  process.stdout.write(`
fxcore is running.
  gateway (FIX over HTTP)   http://127.0.0.1:8080   (docs: /docs, OpenAPI: /openapi.json)
  query-api (read side)     http://127.0.0.1:8082/docs
  logs                      ${logDir}

First order — ${k1!.account} buys 1,000,000 EUR/USD at 1.10000, then ${k2!.account} sells into it:

  export FX_KEY_ID=${k1!.keyId} FX_SECRET=${k1!.secret}
  node gateway/src/cli/send.ts POST /v1/fix '{"MsgType":"D","ClOrdID":"buy-1","Symbol":"EURUSD","Side":"1","TransactTime":"20260101-10:00:00","OrderQty":"1000000","OrdType":"2","Price":"1.10000","TimeInForce":"1"}'

  export FX_KEY_ID=${k2!.keyId} FX_SECRET=${k2!.secret}
  node gateway/src/cli/send.ts POST /v1/fix '{"MsgType":"D","ClOrdID":"sell-1","Symbol":"EURUSD","Side":"2","TransactTime":"20260101-10:00:01","OrderQty":"1000000","OrdType":"2","Price":"1.10000","TimeInForce":"3"}'
  node gateway/src/cli/send.ts GET /v1/executions?account=${k2!.account}

Ctrl-C stops everything.
`);
}

/** A dev-only secret kept under .fxcore/dev (ignored by git), generated once. */
function devSecret(name: string, make: () => string): string {
  const path = `${devDir}${name}`;
  if (existsSync(path)) return readFileSync(path, "utf8").trim();
  const value = make();
  writeFileSync(path, `${value}\n`, { mode: 0o600 });
  return value;
}

function run(
  cmd: string,
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("exit", (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

function redact(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, "//$1:***@");
}
