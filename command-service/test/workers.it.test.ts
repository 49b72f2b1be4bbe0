// WORKERS > 1: main.ts forks more API processes and deals the port's connections to them in turn (ADR 057, 101).
import { type ChildProcess, fork } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { infraSettings } from "@fxcore/infra/testing";
import { Agent, request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, startHarness } from "./support/harness.ts";

const PORT = 18431;
let h: Harness;
let main: ChildProcess | undefined;
const spawned: number[] = [];

const children = (pid: number): number[] => {
  try {
    const text = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim();
    return text === "" ? [] : text.split(" ").map(Number);
  } catch {
    return [];
  }
};
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** A stale listener would take the port's connections: refuse to start beside one. */
const portIsFree = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const probe = createServer();
    probe.once("error", () => resolve(false));
    probe.listen({ host: "0.0.0.0", port }, () => probe.close(() => resolve(true)));
  });

const startMain = async (): Promise<{ child: ChildProcess; workers: number[] }> => {
  let free = await portIsFree(PORT);
  for (let i = 0; i < 50 && !free; i++) {
    await new Promise((r) => setTimeout(r, 100));
    free = await portIsFree(PORT);
  }
  expect(free, `port ${PORT} is taken by another process`).toBe(true);
  const s = infraSettings();
  const child = fork(new URL("../src/main.ts", import.meta.url), {
    env: {
      ...process.env,
      DATABASE_URL: h.db.url,
      SCHEMA_REGISTRY_URL: s.SCHEMA_REGISTRY_URL,
      KAFKA_BROKERS: s.KAFKA_BROKERS,
      PORT: String(PORT),
      WORKERS: "2",
      OUTBOX_RELAY: "off",
      SESSION_CLOCK: "off",
      LOG_LEVEL: "warn",
    },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  main = child;
  await new Promise<void>((resolve, reject) => {
    child.once("message", () => resolve());
    child.once("exit", (code) => reject(new Error(`main exited (${code})`)));
  });
  const workers = children(child.pid ?? 0);
  spawned.push(...workers);
  return { child, workers };
};

const waitGone = async (pid: number): Promise<boolean> => {
  for (let i = 0; i < 100 && alive(pid); i++) await new Promise((r) => setTimeout(r, 100));
  return !alive(pid);
};

beforeAll(async () => {
  h = await startHarness("fx.orders.workers-test", "csw");
}, 60_000);
afterAll(async () => {
  if (main?.exitCode === null) main.kill("SIGKILL");
  // Whatever happened above, no API process outlives the test on the shared port.
  for (const pid of spawned) if (alive(pid)) process.kill(pid, "SIGKILL");
  await h?.dispose();
});

describe("command-service with WORKERS=2", () => {
  it("serves from two processes on one port, and SIGTERM stops both", async () => {
    const { child, workers } = await startMain();
    expect(workers).toHaveLength(1);

    // Separate connections: the first process deals them to both processes in turn.
    const answers = await Promise.all(
      Array.from({ length: 40 }, async (_, i) => {
        const dispatcher = new Agent({ connections: 1 });
        const res = await request(`http://127.0.0.1:${PORT}/orders`, {
          method: "POST",
          dispatcher,
          headers: { "content-type": "application/json", "x-fxcore-accounts": "ACC-1" },
          body: JSON.stringify({
            clOrdId: `w-${i}`,
            account: "ACC-1",
            symbol: "EURUSD",
            side: "BUY",
            ordType: "LIMIT",
            price: "1.10000",
            orderQty: "1000",
            timeInForce: "GTC",
          }),
        });
        const body = (await res.body.json()) as { report?: { ordStatus: string } };
        await dispatcher.close();
        return { status: res.statusCode, ordStatus: body.report?.ordStatus, body };
      }),
    );
    expect(answers.filter((a) => a.status !== 200 || a.ordStatus !== "0")).toEqual([]);
    const stored = await h.pool.query<{ n: string }>(
      "SELECT count(*) AS n FROM cs_client_order_ids WHERE cl_ord_id LIKE 'w-%'",
    );
    expect(Number(stored.rows[0]?.n)).toBe(40);

    // Each process counts what it answered, under its own worker label: fresh connections see both.
    const byWorker = new Map<string, number>();
    for (let i = 0; i < 40 && byWorker.size < 2; i++) {
      const dispatcher = new Agent({ connections: 1 });
      const res = await request(`http://127.0.0.1:${PORT}/metrics`, { dispatcher });
      const text = await res.body.text();
      await dispatcher.close();
      const line = text
        .split("\n")
        .find(
          (l) =>
            l.startsWith("command_service_commands_total{") &&
            l.includes('kind="place"') &&
            l.includes('outcome="accepted"'),
        );
      const worker = /worker="(\d+)"/.exec(line ?? "")?.[1];
      if (worker !== undefined) byWorker.set(worker, Number(line?.split(" ").at(-1)));
    }
    expect([...byWorker.keys()].sort()).toEqual(["0", "1"]);
    // Dealt in turn, not hashed by the kernel: each process served exactly half.
    expect([...byWorker.values()]).toEqual([20, 20]);

    const exited = new Promise<number | null>((r) => child.once("exit", r));
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    for (const w of workers) expect(await waitGone(w)).toBe(true);
  }, 60_000);

  it("a worker whose parent is killed with SIGKILL exits and frees the port", async () => {
    const { child, workers } = await startMain();
    expect(workers).toHaveLength(1);
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGKILL");
    await exited;
    for (const w of workers) expect(await waitGone(w)).toBe(true);
    expect(await portIsFree(PORT)).toBe(true);
  }, 60_000);
});
