import { spawn } from "node:child_process";
import { closeSync, openSync, readFileSync, statSync } from "node:fs";
import { createConnection } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

// Small process-management primitives for the local launcher.

/** Alive = exists and is not a zombie (an exited child its parent has not reaped yet). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, "utf8"));
  } catch {
    return true;
  }
}

/** Starts a long-running process detached from our process group, output to a log file. */
export function spawnDetached(
  command: string,
  args: readonly string[],
  logFile: string,
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): number {
  const fd = openSync(logFile, "a");
  try {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      detached: true,
      stdio: ["ignore", fd, fd],
    });
    // A failed spawn (e.g. ENOENT) also arrives as an event; the missing pid reports it.
    child.on("error", () => {});
    if (child.pid === undefined) {
      throw new Error(`could not start ${command}: not on PATH? (${missingHint(command)})`);
    }
    child.unref();
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

/** Runs a command to completion; rejects with its output when it fails. */
export function run(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    // Our own timer (unref'd, cleared on every outcome): spawn's `timeout`
    // option keeps the process alive after a failed spawn.
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 10 * 60_000);
    timer.unref();
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.on("error", (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(
        err.code === "ENOENT"
          ? new Error(`${command} is not installed or not on PATH (${missingHint(command)})`)
          : err,
      );
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else
        reject(
          new Error(
            `${command} ${args.join(" ")} failed (${signal ?? `exit ${code}`}):\n${out.slice(-4000)}`,
          ),
        );
    });
  });
}

function missingHint(command: string): string {
  if (command === "mvn")
    return "Kafka and Apicurio jars come from Maven Central: apt-get install maven";
  if (command === "java")
    return "Kafka and Apicurio need Java 17: apt-get install openjdk-17-jre-headless";
  if (command === "runuser") return "util-linux provides runuser";
  if (command === "chrt") return "util-linux provides chrt (Linux only)";
  return "see infra/README.md";
}

/** SIGTERM, then SIGKILL after a grace period. Resolves once the pid is gone. */
export async function stopPid(pid: number, graceMs = 15_000): Promise<void> {
  if (!isAlive(pid)) return;
  try {
    process.kill(pid, "SIGTERM");
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(100);
  if (isAlive(pid)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {}
    while (isAlive(pid)) await sleep(50);
  }
}

export async function killPid(pid: number): Promise<void> {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    return;
  }
  while (isAlive(pid)) await sleep(50);
}

export function portOpen(port: number, host = "127.0.0.1", timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

/**
 * Polls `probe` until it returns true. Fails early when `pid` dies, and the
 * error carries the tail of `logFile` so a failed start explains itself.
 */
export async function waitUntil(
  label: string,
  probe: () => Promise<boolean>,
  options: { timeoutMs: number; pid?: number; logFile?: string; intervalMs?: number },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    if (await probe().catch(() => false)) return;
    if (options.pid !== undefined && !isAlive(options.pid)) {
      throw new StartError(`${label} exited during start-up`, options.logFile);
    }
    if (Date.now() > deadline) {
      throw new StartError(`${label} not ready after ${options.timeoutMs} ms`, options.logFile);
    }
    await sleep(options.intervalMs ?? 250);
  }
}

export class StartError extends Error {
  readonly logFile: string | undefined;
  constructor(message: string, logFile?: string) {
    super(logFile ? `${message}\n--- last lines of ${logFile} ---\n${tail(logFile)}` : message);
    this.name = "StartError";
    this.logFile = logFile;
  }
}

export function tail(file: string, lines = 40): string {
  try {
    if (statSync(file).size === 0) return "(empty)";
    return readFileSync(file, "utf8").split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

/**
 * True when `pid` is alive and its command line contains every marker (a data
 * dir, a port flag). Recorded pids can be reused by unrelated processes after
 * a reboot; we only ever signal processes that are provably ours.
 */
export function isOurProcess(pid: number, markers: readonly string[]): boolean {
  if (!isAlive(pid)) return false;
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
    return markers.every((m) => cmdline.includes(m));
  } catch {
    return false;
  }
}
