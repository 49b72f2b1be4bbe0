import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { isAlive } from "./process.ts";

/**
 * A cross-process lock (an atomic mkdir holding the owner's pid). Several test
 * runs may start at once on one machine; only one may start or stop the shared
 * infrastructure at a time. A lock whose owner died is taken over.
 */
export async function withLock<T>(
  dir: string,
  fn: () => Promise<T>,
  timeoutMs = 10 * 60_000,
): Promise<T> {
  const owner = join(dir, "owner");
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(dir);
      writeFileSync(owner, String(process.pid));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const pid = Number.parseInt(readOr(owner, ""), 10);
      const ownerDied = Number.isFinite(pid) && pid !== process.pid && !isAlive(pid);
      // No owner file long after the mkdir: its creator died in between.
      const ownerNeverWritten = !Number.isFinite(pid) && ageMs(dir) > 10_000;
      if (ownerDied || ownerNeverWritten) {
        rmSync(dir, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for lock ${dir} (pid ${pid})`);
      await sleep(200);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function readOr(file: string, fallback: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return fallback;
  }
}

function ageMs(path: string): number {
  try {
    return Date.now() - statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

/**
 * Holds a named cross-process lock until the returned release is called.
 * Test suites that start brokers on fixed ports of their own use it, so two
 * runs of the same suite (two people, two agents) wait for each other instead
 * of colliding on ports and data dirs.
 */
export async function holdLock(dir: string, timeoutMs = 10 * 60_000): Promise<() => Promise<void>> {
  let release!: () => void;
  const released = new Promise<void>((r) => {
    release = r;
  });
  let acquired!: () => void;
  const isAcquired = new Promise<void>((r) => {
    acquired = r;
  });
  const held = withLock(
    dir,
    async () => {
      acquired();
      await released;
    },
    timeoutMs,
  );
  await Promise.race([isAcquired, held]);
  return async () => {
    release();
    await held;
  };
}
