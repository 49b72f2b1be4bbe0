import { createHash } from "node:crypto";
import {
  chmodSync,
  chownSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statfsSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import pg from "pg";
import { run, StartError } from "./process.ts";
import { BACK_END_NICE, childPids, renice, scheduleBatch } from "./scheduling.ts";

// PostgreSQL 15 from Debian's binaries in a throwaway data dir. initdb and
// postgres refuse to run as root, so they run as the `postgres` system user on
// a dir it owns. The machine's own cluster is never touched.

const BIN = process.env.FXCORE_PG_BIN ?? "/usr/lib/postgresql/15/bin";
export const PG_USER = "fxcore";
export const PG_PASSWORD = "fxcore";
export const PG_DATABASE = "fxcore";

export interface PostgresProcess {
  readonly pid: number;
  readonly port: number;
  readonly url: string;
  readonly dataDir: string;
  readonly logFile: string;
}

export function postgresUrl(port: number, database = PG_DATABASE): string {
  return `postgres://${PG_USER}:${PG_PASSWORD}@127.0.0.1:${port}/${database}`;
}

function asPostgres(args: readonly string[]): [string, string[]] {
  // Already the postgres user (e.g. a non-root CI): run directly.
  if (process.getuid?.() !== 0) return [args[0]!, args.slice(1)];
  return ["runuser", ["-u", "postgres", "--", ...args]];
}

function ids(): { uid: number; gid: number } {
  const line = readFileSync("/etc/passwd", "utf8")
    .split("\n")
    .find((l) => l.startsWith("postgres:"));
  const parts = line?.split(":");
  if (!parts) throw new Error("no postgres system user: install Debian's postgresql-15 package");
  return { uid: Number(parts[2]), gid: Number(parts[3]) };
}

export async function startPostgres(options: {
  port: number;
  dir: string;
}): Promise<PostgresProcess> {
  const dataDir = join(options.dir, "data");
  const logFile = join(options.dir, "postgres.log");
  rmSync(options.dir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  const pwFile = join(options.dir, "pwfile");
  writeFileSync(pwFile, `${PG_PASSWORD}\n`);
  writeFileSync(logFile, "");
  if (process.getuid?.() === 0) {
    const { uid, gid } = ids();
    for (const p of [options.dir, dataDir, pwFile, logFile]) chownSync(p, uid, gid);
  }
  chmodSync(dataDir, 0o700);
  const exec = (args: string[]) => {
    const [cmd, rest] = asPostgres(args);
    return run(cmd, rest, { cwd: options.dir });
  };
  try {
    await exec([
      join(BIN, "initdb"),
      "-D",
      dataDir,
      "-U",
      PG_USER,
      `--pwfile=${pwFile}`,
      "--auth=scram-sha-256",
      "--encoding=UTF8",
      "--locale=C",
      "--no-sync",
    ]);
    writeFileSync(
      join(dataDir, "postgresql.auto.conf"),
      [
        "listen_addresses = '127.0.0.1'",
        `port = ${options.port}`,
        // TCP only: no socket file to collide with the system cluster's.
        "unix_socket_directories = ''",
        "max_connections = 300",
        "shared_buffers = '128MB'",
        // A long-open transaction stalls event-store readers (see REFERENCE.md).
        "idle_in_transaction_session_timeout = '60s'",
        // Throwaway test data only: durability traded for speed.
        "fsync = off",
        "synchronous_commit = off",
        "full_page_writes = off",
        // A fresh cluster has no WAL segments to recycle. Zero-filling each
        // new 16 MB one held up the WAL for up to ~50 ms, about once a
        // second at 10,000 orders/s (ADR 130).
        "wal_init_zero = off",
        "",
      ].join("\n"),
    );
    await exec([
      join(BIN, "pg_ctl"),
      "start",
      "-D",
      dataDir,
      "-l",
      logFile,
      "-w",
      "-t",
      "60",
      "-s",
    ]);
  } catch (err) {
    throw new StartError(`postgres failed to start: ${(err as Error).message}`, logFile);
  }
  const pid = Number.parseInt(
    readFileSync(join(dataDir, "postmaster.pid"), "utf8").split("\n")[0]!,
    10,
  );
  // The order path's processes share the host's cores (ADR 135). The
  // postmaster's later children (one backend per connection) inherit this.
  const sched = await scheduleBatch([pid, ...childPids(pid)]);
  if (sched) console.warn(`postgres keeps the default scheduling policy: ${sched.message}`);
  // Its backends, forked from here on, start ahead of the order path's front (ADR 137).
  const nice = await renice([pid], BACK_END_NICE);
  if (nice) console.warn(`postgres keeps nice 0 (lowering it needs root): ${nice.message}`);
  const admin = new pg.Client({ connectionString: postgresUrl(options.port, "postgres") });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${PG_DATABASE}`);
  } finally {
    await admin.end();
  }
  return { pid, port: options.port, url: postgresUrl(options.port), dataDir, logFile };
}

export async function stopPostgres(
  dataDir: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  const [cmd, rest] = asPostgres([
    join(BIN, "pg_ctl"),
    "stop",
    "-D",
    dataDir,
    "-m",
    "fast",
    "-w",
    "-s",
  ]);
  await run(cmd, rest).catch(() => {});
  // A cluster in RAM is not reused (a start begins afresh): give its memory back.
  const home = dirname(dataDir);
  if (dirname(home) === ramRoot(env) && basename(home).startsWith("fxcore-pg-"))
    rmSync(home, { recursive: true, force: true });
}

export async function postgresAnswers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query("select 1");
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

/** tmpfs's magic number in statfs(2). */
const TMPFS_MAGIC = 0x01021994;
/** What a RAM data dir must find free: the suites' and benches' throwaway databases, and WAL up to max_wal_size (1 GB). */
const RAM_MIN_FREE_BYTES = 4 * 1024 ** 3;
/** The tmpfs tried for the cluster's files. */
const ramRoot = (env: NodeJS.ProcessEnv): string => resolve(env.FXCORE_PG_RAM_DIR ?? "/dev/shm");

/**
 * Where the throwaway cluster's files go (ADR 126). In RAM (a tmpfs) when it
 * has room: the cluster runs with fsync off, so the disk only ever reached its
 * files through the kernel's writeback, and that writeback's stalls (a backend
 * blocked 70–500 ms in ext4's block allocation while extending a file) showed
 * up as latency in whatever used the database. `FXCORE_PG_DISK=1`, or a tmpfs
 * that is missing or short of room, keeps it on disk: under `preferred`, or
 * under the system temp dir when the postgres system user cannot reach that
 * (a checkout under a private home such as /root). Keyed by `preferred`, so two
 * checkouts never share one.
 */
export function postgresHome(preferred: string, env: NodeJS.ProcessEnv = process.env): string {
  const key = createHash("sha1").update(preferred).digest("hex").slice(0, 12);
  if (env.FXCORE_PG_DISK !== "1" && ramHasRoom(ramRoot(env)))
    return join(ramRoot(env), `fxcore-pg-${key}`);
  if (process.getuid?.() !== 0 || traversableByOthers(dirname(preferred))) return preferred;
  return join(tmpdir(), `fxcore-pg-${key}`);
}

/** Whether `dir` is on a tmpfs with at least `minFree` bytes free. */
export function ramHasRoom(dir: string, minFree = RAM_MIN_FREE_BYTES): boolean {
  try {
    const s = statfsSync(dir);
    return s.type === TMPFS_MAGIC && s.bavail * s.bsize >= minFree;
  } catch {
    return false;
  }
}

function traversableByOthers(dir: string): boolean {
  for (let d = resolve(dir); ; d = dirname(d)) {
    try {
      if ((statSync(d).mode & 0o001) === 0) return false;
    } catch {
      // Not created yet: it will be created with the default (traversable) mode.
    }
    if (d === dirname(d)) return true;
  }
}
