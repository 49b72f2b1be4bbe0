import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { type KafkaCluster, kafkaAnswers, startKafkaCluster } from "./kafka-broker.ts";
import { withLock } from "./lock.ts";
import { infraDir } from "./paths.ts";
import { postgresAnswers, postgresHome, startPostgres, stopPostgres } from "./postgres-server.ts";
import { isAlive, isOurProcess, portOpen, stopPid } from "./process.ts";
import { registryAnswers, startSchemaRegistry } from "./schema-registry.ts";

// The shared local infrastructure: one Kafka broker, one schema registry, one
// Postgres, started side by side as detached processes and recorded in a state
// file so later runs (and `infra:down`) find them. All changes happen under a
// lock because several test runs may start at once.

export interface InfraSettings {
  readonly KAFKA_BROKERS: string;
  readonly SCHEMA_REGISTRY_URL: string;
  readonly DATABASE_URL: string;
}

/** `cli`: started by `infra:up`, kept until `infra:down`. `harness`: stopped by the last test run using it. */
export type InfraOwner = "cli" | "harness";

interface KafkaState {
  readonly pids: number[];
  readonly port: number;
  readonly brokers: string;
  readonly dir: string;
  readonly logFiles: string[];
  readonly clusterId: string;
}
interface RegistryState {
  readonly pid: number;
  readonly port: number;
  readonly url: string;
  readonly logFile: string;
  readonly version: string;
}
interface PostgresState {
  readonly pid: number;
  readonly port: number;
  readonly url: string;
  readonly dataDir: string;
  readonly logFile: string;
}
export interface InfraState {
  owner: InfraOwner;
  kafka?: KafkaState;
  registry?: RegistryState;
  postgres?: PostgresState;
}

export interface LocalPorts {
  readonly kafka: number;
  readonly registry: number;
  readonly postgres: number;
}

function envPort(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new Error(`${name}=${raw} is not a port`);
  return port;
}

/** 1 by default; FXCORE_KAFKA_NODES=3 runs three brokers (ports base..base+5). */
export function localKafkaNodes(): number {
  const nodes = envPort("FXCORE_KAFKA_NODES", 1);
  if (nodes !== 1 && nodes !== 3) throw new Error(`FXCORE_KAFKA_NODES=${nodes}: use 1 or 3`);
  return nodes;
}

/** Kafka's controller listens on the Kafka port + 1 (node i: base + 2i, base + 2i + 1). */
export function localPorts(): LocalPorts {
  return {
    kafka: envPort("FXCORE_KAFKA_PORT", 19092),
    registry: envPort("FXCORE_REGISTRY_PORT", 18081),
    postgres: envPort("FXCORE_PG_PORT", 15432),
  };
}

const stateFile = () => join(infraDir(), "state.json");
const lockDir = () => join(infraDir(), "lock");
const leaseDir = () => join(infraDir(), "leases");

export function readState(): InfraState | undefined {
  if (!existsSync(stateFile())) return undefined;
  return JSON.parse(readFileSync(stateFile(), "utf8")) as InfraState;
}

function writeState(state: InfraState): void {
  writeFileSync(stateFile(), `${JSON.stringify(state, null, 2)}\n`);
}

export function settingsOf(state: InfraState): InfraSettings {
  if (!state.kafka || !state.registry || !state.postgres)
    throw new Error("infrastructure incomplete");
  return {
    KAFKA_BROKERS: state.kafka.brokers,
    SCHEMA_REGISTRY_URL: state.registry.url,
    DATABASE_URL: state.postgres.url,
  };
}

// What a recorded pid's command line must contain to be treated as ours.
const kafkaMarkers = (k: KafkaState) => ["kafka.Kafka", k.dir];
const registryMarkers = (r: RegistryState) => [
  "apicurio-registry",
  `-Dquarkus.http.port=${r.port}`,
];
const postgresMarkers = (p: PostgresState) => ["postgres", p.dataDir];

async function stopKafka(k: KafkaState): Promise<void> {
  await Promise.all(
    k.pids.filter((p) => isOurProcess(p, kafkaMarkers(k))).map((p) => stopPid(p, 30_000)),
  );
}
async function stopRegistry(r: RegistryState): Promise<void> {
  if (isOurProcess(r.pid, registryMarkers(r))) await stopPid(r.pid);
}

/**
 * Healthy = our process is alive and answers. A process that is alive but
 * slow to answer (a busy machine, still starting) is given `patienceMs`
 * before it counts as broken: others may be using it, so we must not replace
 * it on one slow probe.
 */
async function answersWhileAlive(
  alive: () => boolean,
  probe: () => Promise<boolean>,
  patienceMs: number,
): Promise<boolean> {
  const deadline = Date.now() + patienceMs;
  while (alive()) {
    if (await probe()) return true;
    if (Date.now() > deadline) return false;
    await sleep(500);
  }
  return false;
}

async function kafkaHealthy(k: KafkaState | undefined, patienceMs = 0): Promise<boolean> {
  if (!k) return false;
  return answersWhileAlive(
    () => k.pids.every((p) => isOurProcess(p, kafkaMarkers(k))),
    () => kafkaAnswers(k.brokers.split(",")[0]!, k.pids.length),
    patienceMs,
  );
}
async function registryHealthy(r: RegistryState | undefined, patienceMs = 0): Promise<boolean> {
  if (!r) return false;
  return answersWhileAlive(
    () => isOurProcess(r.pid, registryMarkers(r)),
    () => registryAnswers(r.url),
    patienceMs,
  );
}
async function postgresHealthy(p: PostgresState | undefined, patienceMs = 0): Promise<boolean> {
  if (!p) return false;
  return answersWhileAlive(
    () => isOurProcess(p.pid, postgresMarkers(p)),
    () => postgresAnswers(p.url),
    patienceMs,
  );
}

async function ensurePortFree(port: number, what: string): Promise<void> {
  if (await portOpen(port)) {
    throw new Error(
      `port ${port} (${what}) is taken by a process fxcore did not record; stop it or set another port`,
    );
  }
}

export interface UpResult {
  readonly settings: InfraSettings;
  /** Set when a lease was taken; pass it to releaseLease. */
  readonly lease?: string;
  /** Components started by this call (the others were reused). */
  readonly started: readonly ("kafka" | "registry" | "postgres")[];
  readonly ms: number;
}

/**
 * Starts whatever is not already running (in parallel) and returns the
 * connection settings. Healthy recorded processes are reused. If a start
 * fails, what this call started is stopped again and the error carries the
 * failing process's log tail.
 */
export async function upLocal(
  owner: InfraOwner,
  options: { lease?: boolean } = {},
): Promise<UpResult> {
  const t0 = Date.now();
  mkdirSync(infraDir(), { recursive: true });
  return withLock(lockDir(), async () => {
    const ports = localPorts();
    const prev = readState();
    const patience = 60_000;
    const [kOk, rOk, pOk] = await Promise.all([
      kafkaHealthy(prev?.kafka, patience),
      registryHealthy(prev?.registry, patience),
      postgresHealthy(prev?.postgres, patience),
    ]);
    // Half-dead leftovers are cleared before starting afresh.
    if (!kOk && prev?.kafka) await stopKafka(prev.kafka);
    if (!rOk && prev?.registry) await stopRegistry(prev.registry);
    if (!pOk && prev?.postgres) await stopPostgres(prev.postgres.dataDir);
    const state: InfraState = {
      owner: prev && (kOk || rOk || pOk) && prev.owner === "cli" ? "cli" : owner,
      ...(kOk ? { kafka: prev!.kafka } : {}),
      ...(rOk ? { registry: prev!.registry } : {}),
      ...(pOk ? { postgres: prev!.postgres } : {}),
    };
    if (owner === "cli") state.owner = "cli";
    // All ports checked before anything starts, so a clash fails fast and clean.
    const kafkaNodes = localKafkaNodes();
    if (!kOk) {
      for (let p = ports.kafka; p < ports.kafka + 2 * kafkaNodes; p++)
        await ensurePortFree(p, "kafka");
    }
    if (!rOk) await ensurePortFree(ports.registry, "schema registry");
    if (!pOk) await ensurePortFree(ports.postgres, "postgres");
    const started: ("kafka" | "registry" | "postgres")[] = [];
    const tasks: Promise<void>[] = [];
    if (!kOk) {
      tasks.push(
        (async () => {
          const c: KafkaCluster = await startKafkaCluster({
            nodes: kafkaNodes,
            basePort: ports.kafka,
            dir: join(infraDir(), "kafka"),
          });
          state.kafka = {
            pids: c.nodes.map((n) => n.pid),
            port: ports.kafka,
            brokers: c.brokers,
            dir: c.spec.dir,
            logFiles: c.nodes.map((n) => n.logFile),
            clusterId: c.clusterId,
          };
          started.push("kafka");
        })(),
      );
    }
    if (!rOk) {
      tasks.push(
        (async () => {
          const dir = join(infraDir(), "registry");
          rmSync(dir, { recursive: true, force: true });
          state.registry = await startSchemaRegistry({ port: ports.registry, dir });
          started.push("registry");
        })(),
      );
    }
    if (!pOk) {
      tasks.push(
        (async () => {
          state.postgres = await startPostgres({
            port: ports.postgres,
            dir: postgresHome(join(infraDir(), "postgres")),
          });
          started.push("postgres");
        })(),
      );
    }
    const results = await Promise.allSettled(tasks);
    const failures = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failures.length > 0) {
      await stopComponents(state, started);
      writeState(withoutComponents(state, started));
      throw new Error(
        `local infrastructure failed to start:\n${failures.map((f) => String((f.reason as Error).message ?? f.reason)).join("\n\n")}`,
      );
    }
    writeState(state);
    // Taken under the same lock, so a run finishing now cannot stop what we just got.
    const lease = options.lease ? takeLease() : undefined;
    return {
      settings: settingsOf(state),
      started,
      ms: Date.now() - t0,
      ...(lease ? { lease } : {}),
    };
  });
}

function withoutComponents(state: InfraState, names: readonly string[]): InfraState {
  const next: InfraState = { owner: state.owner };
  if (state.kafka && !names.includes("kafka")) next.kafka = state.kafka;
  if (state.registry && !names.includes("registry")) next.registry = state.registry;
  if (state.postgres && !names.includes("postgres")) next.postgres = state.postgres;
  return next;
}

async function stopComponents(state: InfraState, names: readonly string[]): Promise<void> {
  await Promise.all([
    names.includes("kafka") && state.kafka ? stopKafka(state.kafka) : undefined,
    names.includes("registry") && state.registry ? stopRegistry(state.registry) : undefined,
    names.includes("postgres") && state.postgres ? stopPostgres(state.postgres.dataDir) : undefined,
  ]);
}

/** Stops everything recorded in the state file. */
export async function downLocal(): Promise<InfraState | undefined> {
  mkdirSync(infraDir(), { recursive: true });
  return withLock(lockDir(), () => downUnlocked());
}

/**
 * `infra:down` while test runs still hold leases: instead of pulling the
 * infra from under them, hand it to the harness, so the last run stops it.
 * Without leases it stops at once.
 */
export async function downWhenUnused(): Promise<
  { readonly stopped: InfraState | undefined } | { readonly handedOver: number }
> {
  mkdirSync(infraDir(), { recursive: true });
  return withLock(lockDir(), async () => {
    const state = readState();
    const leases = liveLeases().length;
    if (state && leases > 0) {
      writeState({ ...state, owner: "harness" });
      return { handedOver: leases };
    }
    return { stopped: await downUnlocked() };
  });
}

async function downUnlocked(): Promise<InfraState | undefined> {
  const state = readState();
  if (!state) return undefined;
  await stopComponents(state, ["kafka", "registry", "postgres"]);
  if (state.postgres && isOurProcess(state.postgres.pid, postgresMarkers(state.postgres))) {
    await stopPid(state.postgres.pid);
  }
  rmSync(stateFile(), { force: true });
  rmSync(leaseDir(), { recursive: true, force: true });
  return state;
}

export interface ComponentStatus {
  readonly name: string;
  readonly pids: number[];
  readonly endpoint: string;
  readonly healthy: boolean;
  readonly log: string;
}

export async function statusLocal(): Promise<{
  owner?: InfraOwner;
  components: ComponentStatus[];
  leases: string[];
}> {
  const state = readState();
  if (!state) return { components: [], leases: [] };
  const [k, r, p] = await Promise.all([
    kafkaHealthy(state.kafka),
    registryHealthy(state.registry),
    postgresHealthy(state.postgres),
  ]);
  const components: ComponentStatus[] = [];
  if (state.kafka)
    components.push({
      name: "kafka",
      pids: state.kafka.pids,
      endpoint: state.kafka.brokers,
      healthy: k,
      log: state.kafka.logFiles.join(" "),
    });
  if (state.registry)
    components.push({
      name: "schema-registry",
      pids: [state.registry.pid],
      endpoint: state.registry.url,
      healthy: r,
      log: state.registry.logFile,
    });
  if (state.postgres)
    components.push({
      name: "postgres",
      pids: [state.postgres.pid],
      endpoint: state.postgres.url,
      healthy: p,
      log: state.postgres.logFile,
    });
  return { owner: state.owner, components, leases: liveLeases() };
}

// Leases: one file per process using harness-owned infra, so the last one out
// stops it and nobody stops it under a run that still needs it.

// A lease file is named <pid>.<n>: one process (a vitest run with several
// projects) may hold several; a lease whose process died does not count.

let leaseCounter = 0;

function liveLeases(): string[] {
  if (!existsSync(leaseDir())) return [];
  return readdirSync(leaseDir()).filter((name) => {
    const pid = Number(name.split(".")[0]);
    return Number.isInteger(pid) && isAlive(pid);
  });
}

function takeLease(): string {
  mkdirSync(leaseDir(), { recursive: true });
  const lease = `${process.pid}.${++leaseCounter}`;
  writeFileSync(join(leaseDir(), lease), "");
  return lease;
}

/**
 * Drops this process's lease. Harness-owned infra is stopped when no live
 * lease remains, unless `keep`. Returns true when it stopped the infra.
 */
export async function releaseLease(lease: string, options: { keep: boolean }): Promise<boolean> {
  return withLock(lockDir(), async () => {
    rmSync(join(leaseDir(), lease), { force: true });
    const state = readState();
    if (state?.owner !== "harness" || options.keep || liveLeases().length > 0) return false;
    await downUnlocked();
    return true;
  });
}
