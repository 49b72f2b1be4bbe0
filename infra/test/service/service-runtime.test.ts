import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const child = fileURLToPath(new URL("./stop-on-signals-child.ts", import.meta.url));

function runUntilReady(env: Record<string, string> = {}) {
  const proc = spawn(process.execPath, [child], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  const ready = new Promise<void>((resolve) => {
    proc.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes("ready\n")) resolve();
    });
  });
  const exited = new Promise<number | null>((resolve) =>
    proc.once("exit", (code) => resolve(code)),
  );
  return { proc, ready, exited, output: () => out };
}

describe("stopOnSignals", () => {
  it("releases once on SIGTERM, even when SIGINT follows, and exits 0", async () => {
    const run = runUntilReady();
    await run.ready;
    run.proc.kill("SIGTERM");
    await new Promise((resolve) => setTimeout(resolve, 50));
    run.proc.kill("SIGINT");
    expect(await run.exited).toBe(0);
    expect(run.output()).toBe("ready\nrelease 1 SIGTERM\nreleased\n");
  });

  it("exits 1 when releasing fails", async () => {
    const run = runUntilReady({ RELEASE_FAILS: "1" });
    await run.ready;
    run.proc.kill("SIGINT");
    expect(await run.exited).toBe(1);
    expect(run.output()).toBe("ready\nrelease 1 SIGINT\n");
  });
});
