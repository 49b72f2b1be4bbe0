// WORKERS > 1: main.ts forks more API processes onto the same port (ADR 057).
import { type ChildProcess, fork } from "node:child_process";
import { readFileSync } from "node:fs";
import { infraSettings } from "@fxcore/infra/testing";
import { Agent, request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, startHarness } from "./support/harness.ts";

const PORT = 18431;
let h: Harness;
let main: ChildProcess | undefined;

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

beforeAll(async () => {
  h = await startHarness("fx.orders.workers-test", "csw");
}, 60_000);
afterAll(async () => {
  if (main?.exitCode === null) main.kill("SIGKILL");
  await h?.dispose();
});

describe("command-service with WORKERS=2", () => {
  it("serves from two processes on one port, and SIGTERM stops both", async () => {
    const s = infraSettings();
    main = fork(new URL("../src/main.ts", import.meta.url), {
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
    const child = main;
    await new Promise<void>((resolve, reject) => {
      child.once("message", () => resolve());
      child.once("exit", (code) => reject(new Error(`main exited (${code})`)));
    });
    const workers = children(child.pid ?? 0);
    expect(workers).toHaveLength(1);

    // Separate connections: the kernel spreads them over both listening processes.
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

    // Each process counts what it answered: scrapes over fresh connections see both counts.
    const counts = new Set<number>();
    for (let i = 0; i < 30 && counts.size < 2; i++) {
      const dispatcher = new Agent({ connections: 1 });
      const res = await request(`http://127.0.0.1:${PORT}/metrics`, { dispatcher });
      const text = await res.body.text();
      await dispatcher.close();
      const m =
        /command_service_commands_total\{[^}]*kind="place"[^}]*outcome="accepted"[^}]*\} (\d+)/.exec(
          text,
        );
      counts.add(Number(m?.[1] ?? 0));
    }
    expect(counts.size).toBe(2);
    expect([...counts].reduce((a, b) => a + b, 0)).toBe(40);

    const exited = new Promise<number | null>((r) => child.once("exit", r));
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    for (const w of workers) {
      for (let i = 0; i < 50 && alive(w); i++) await new Promise((r) => setTimeout(r, 100));
      expect(alive(w)).toBe(false);
    }
  }, 60_000);
});
