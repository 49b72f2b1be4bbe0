// npm run infra:up [-- --foreground] | infra:down [-- --force] | infra:status
// Starts, stops and shows the shared local infrastructure (see infra/README.md).
import { setTimeout as sleep } from "node:timers/promises";
import { settingsFromEnv } from "./infra-source.ts";
import {
  downLocal,
  downWhenUnused,
  type InfraSettings,
  statusLocal,
  upLocal,
} from "./local-infra.ts";

const [command = "status", ...flags] = process.argv.slice(2);

async function up(): Promise<void> {
  const given = settingsFromEnv();
  if (given) {
    console.log("KAFKA_BROKERS, SCHEMA_REGISTRY_URL and DATABASE_URL are set; nothing to start:");
    printExports(given);
    return;
  }
  const foreground = flags.includes("--foreground") || flags.includes("-f");
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.error(`\n${signal}: stopping local infrastructure`);
    await downLocal();
    process.exit(signal === "exit" ? 0 : 130);
  };
  if (foreground) {
    process.on("SIGINT", () => void stop("SIGINT"));
    process.on("SIGTERM", () => void stop("SIGTERM"));
  }
  const result = await upLocal("cli");
  const reused = (["kafka", "registry", "postgres"] as const).filter(
    (c) => !result.started.includes(c),
  );
  console.log(
    `local infrastructure up in ${(result.ms / 1000).toFixed(1)} s` +
      (result.started.length ? ` (started: ${result.started.join(", ")})` : "") +
      (reused.length ? ` (reused: ${reused.join(", ")})` : ""),
  );
  printExports(result.settings);
  if (foreground) {
    console.log("running in the foreground; Ctrl-C stops everything");
    for (;;) await sleep(60_000);
  }
}

function printExports(s: InfraSettings): void {
  for (const [k, v] of Object.entries(s)) console.log(`export ${k}=${v}`);
}

async function status(): Promise<void> {
  const s = await statusLocal();
  if (s.components.length === 0) {
    console.log("local infrastructure: not running");
    return;
  }
  console.log(`local infrastructure (owner: ${s.owner}; test runs using it: ${s.leases.length})`);
  for (const c of s.components) {
    console.log(
      `  ${c.name.padEnd(16)} ${c.healthy ? "up  " : "DOWN"} pid ${c.pids.join(",").padEnd(8)} ${c.endpoint}\n  ${"".padEnd(16)} log ${c.log}`,
    );
  }
  if (s.components.some((c) => !c.healthy)) process.exitCode = 1;
}

async function down(): Promise<void> {
  if (flags.includes("--force")) {
    const state = await downLocal();
    console.log(
      state ? "local infrastructure stopped" : "local infrastructure: nothing recorded to stop",
    );
    return;
  }
  const result = await downWhenUnused();
  if ("handedOver" in result) {
    console.log(
      `${result.handedOver} test run(s) still use the local infrastructure: it stops when the last one ends (--force stops it now)`,
    );
  } else {
    console.log(
      result.stopped
        ? "local infrastructure stopped"
        : "local infrastructure: nothing recorded to stop",
    );
  }
}

const commands: Record<string, () => Promise<void>> = { up, down, status };
const fn = commands[command];
if (!fn) {
  console.error(`usage: node infra/src/local/cli.ts up [--foreground] | down [--force] | status`);
  process.exit(2);
}
fn().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
