import { afterAll, describe, expect, test } from "vitest";
import { startJobThread } from "../../src/threads/job-thread.ts";

describe("job thread", () => {
  const thread = startJobThread<number | "exit" | "slow", Uint8Array, number>(
    "echo",
    new URL("./echo-worker.ts", import.meta.url),
    (bytes) => bytes[0] ?? -1,
  );
  afterAll(() => thread.close());

  test("answers each job with its own result, by id, whatever order they finish in", async () => {
    const slow = thread.run("slow");
    const quick = await Promise.all([1, 2, 3, 40].map((n) => thread.run(n)));
    expect(quick).toEqual([2, 4, 6, 80]);
    expect(await slow).toBe(0);
  });

  test("a job that throws rejects with the thread's name and the error; the thread goes on", async () => {
    await expect(thread.run(-5)).rejects.toThrow(/^echo thread: RangeError: negative: -5$/);
    expect(await thread.run(7)).toBe(14);
  });

  test("a thread that exits fails the jobs it held; the next job starts a new thread", async () => {
    // Each rejection is expected before it can happen: a rejection with no
    // handler yet is an unhandled one.
    const held = expect(thread.run("slow")).rejects.toThrow(/exited/);
    await expect(thread.run("exit")).rejects.toThrow(/echo thread exited \(3\)/);
    await held;
    expect(await thread.run(21)).toBe(42);
  });

  test("a closed thread fails what it held instead of hanging", async () => {
    const t = startJobThread<number | "slow", Uint8Array, number>(
      "echo",
      new URL("./echo-worker.ts", import.meta.url),
      (bytes) => bytes[0] ?? -1,
      { startNow: true },
    );
    const held = expect(t.run("slow")).rejects.toThrow(/echo thread closed/);
    await t.close();
    await held;
  });

  test("a job sent after close runs on a new thread, whatever the closed one's exit does", async () => {
    const t = startJobThread<number | "slow", Uint8Array, number>(
      "echo",
      new URL("./echo-worker.ts", import.meta.url),
      (bytes) => bytes[0] ?? -1,
      { startNow: true },
    );
    const held = expect(t.run("slow")).rejects.toThrow(/echo thread closed/);
    const closing = t.close(); // the old thread's exit comes after the next job is sent
    const next = t.run(8);
    await closing;
    await held;
    expect(await next).toBe(16);
    await t.close();
  });
});
