import { createHash } from "node:crypto";
import {
  chmodSync,
  chownSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import pg from "pg";
import { run, StartError } from "./process.ts";

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
  const admin = new pg.Client({ connectionString: postgresUrl(options.port, "postgres") });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${PG_DATABASE}`);
  } finally {
    await admin.end();
  }
  return { pid, port: options.port, url: postgresUrl(options.port), dataDir, logFile };
}

export async function stopPostgres(dataDir: string): Promise<void> {
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

/**
 * The postgres system user must be able to reach its data dir. A checkout
 * under a private home (e.g. /root) is not traversable by it; then the data
 * dir goes under the system temp dir instead, keyed by the preferred path.
 */
export function postgresHome(preferred: string): string {
  if (process.getuid?.() !== 0 || traversableByOthers(dirname(preferred))) return preferred;
  const key = createHash("sha1").update(preferred).digest("hex").slice(0, 12);
  return join(tmpdir(), `fxcore-pg-${key}`);
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
