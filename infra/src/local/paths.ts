import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

// Where local infrastructure keeps its state. The repo-local dir is git-ignored;
// downloaded distributions live in a cache outside the work tree so clean
// clones (CI included) reuse them.
export const repoRoot: string = resolve(fileURLToPath(new URL("../../../", import.meta.url)));

export function stateRoot(): string {
  return process.env.FXCORE_STATE_DIR ?? join(repoRoot, ".fxcore");
}

export function infraDir(): string {
  return join(stateRoot(), "infra");
}

export function cacheDir(): string {
  return (
    process.env.FXCORE_CACHE ??
    join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "fxcore")
  );
}
