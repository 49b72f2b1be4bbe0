import { mkdirSync, mkdtempSync, rmSync, statfsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { postgresHome, ramHasRoom } from "../../src/local/postgres-server.ts";

const TMPFS_MAGIC = 0x01021994;
const shmWithRoom = (() => {
  try {
    const s = statfsSync("/dev/shm");
    return s.type === TMPFS_MAGIC && s.bavail * s.bsize >= 4 * 1024 ** 3;
  } catch {
    return false;
  }
})();

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
// Under the checkout's (ignored) state dir: on disk, unlike a tmpfs /tmp may be.
const stateDir = fileURLToPath(new URL("../../../.fxcore/", import.meta.url));
const diskDir = () => {
  mkdirSync(stateDir, { recursive: true });
  const d = mkdtempSync(join(stateDir, "pg-home-test-"));
  dirs.push(d);
  return d;
};

describe("ramHasRoom", () => {
  it("is false for a missing dir, a disk dir, and a tmpfs asked for more than it has", () => {
    expect(ramHasRoom("/no/such/dir")).toBe(false);
    const disk = diskDir();
    if (statfsSync(disk).type !== TMPFS_MAGIC) expect(ramHasRoom(disk)).toBe(false);
    expect(ramHasRoom(tmpdir(), Number.MAX_SAFE_INTEGER)).toBe(false);
  });
});

describe("postgresHome", () => {
  it.runIf(shmWithRoom)("puts the cluster in /dev/shm, keyed by the preferred path", () => {
    const a = postgresHome("/work/a/.fxcore/infra/postgres", {});
    const b = postgresHome("/work/b/.fxcore/infra/postgres", {});
    expect(a).toMatch(/^\/dev\/shm\/fxcore-pg-[0-9a-f]{12}$/);
    expect(b).toMatch(/^\/dev\/shm\/fxcore-pg-[0-9a-f]{12}$/);
    expect(a).not.toBe(b);
    expect(postgresHome("/work/a/.fxcore/infra/postgres", {})).toBe(a);
  });

  it("stays on disk with FXCORE_PG_DISK=1 or when the RAM dir is not a tmpfs", () => {
    const preferred = join(diskDir(), "postgres");
    for (const env of [{ FXCORE_PG_DISK: "1" }, { FXCORE_PG_RAM_DIR: diskDir() }]) {
      const home = postgresHome(preferred, env);
      expect(home.startsWith("/dev/shm")).toBe(false);
      // The preferred path, or the temp dir when the postgres user cannot reach it (root).
      expect(home === preferred || home.startsWith(join(tmpdir(), "fxcore-pg-"))).toBe(true);
    }
  });
});
