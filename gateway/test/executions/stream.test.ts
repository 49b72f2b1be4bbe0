// The SSE stream over a real socket (port 18180) with an in-memory read side:
// events carry the multi-account cursor as id, Last-Event-ID resumes exactly
// after it, heartbeats flow when idle, and other accounts never leak in.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signedHeaders } from "../../src/auth/signing.ts";
import { formatCursor, parseCursor } from "../../src/executions/source.ts";
import { fixMessage } from "../../src/fix/message.ts";
import { makeHarness, type TestKey } from "../support/harness.ts";
import { readSse, type SseEvent } from "../support/sse.ts";

const PORT = 18180;
let h: Awaited<ReturnType<typeof makeHarness>>;
let both: TestKey;
let one: TestKey;

const report = (account: string, seq: number) =>
  fixMessage([
    { tag: 35, value: "8" },
    { tag: 37, value: `O-${account}-${seq}` },
    { tag: 17, value: `E-${account}-${seq}` },
    { tag: 150, value: "0" },
    { tag: 39, value: "0" },
    { tag: 1, value: account },
    { tag: 55, value: "EURUSD" },
    { tag: 54, value: "1" },
    { tag: 151, value: "1000" },
    { tag: 14, value: "0" },
    { tag: 6, value: "0" },
  ]);

beforeAll(async () => {
  h = await makeHarness({ now: () => Date.now(), sse: { heartbeatMs: 100, pollMs: 20 } });
  both = h.addKey({ accounts: ["ACC1", "ACC2"], roles: ["dashboard"] });
  one = h.addKey({ accounts: ["ACC2"], roles: ["trader"] });
  for (let s = 1; s <= 3; s++)
    h.executions.push({ account: "ACC1", accountSeq: s, report: report("ACC1", s) });
  h.executions.push({ account: "ACC2", accountSeq: 1, report: report("ACC2", 1) });
  await h.app.listen({ host: "127.0.0.1", port: PORT });
});
afterAll(() => h.app.close());

/** Reads SSE events until `until` holds, then aborts the connection. */
const readStream = async (
  key: TestKey,
  path: string,
  until: (evs: SseEvent[]) => boolean,
  extra: Record<string, string> = {},
) => {
  const r = await readSse(
    `http://127.0.0.1:${PORT}${path}`,
    { ...signedHeaders(key.id, key.secret, "GET", path, "", Date.now()), ...extra },
    until,
  );
  expect(r.status).toBe(200);
  expect(r.contentType).toMatch(/text\/event-stream/);
  return r.events;
};

describe("execution report stream", () => {
  it("streams every readable account with a cursor id, then heartbeats", async () => {
    const evs = await readStream(both, "/v1/executions/stream", (e) =>
      e.some((x) => x.comment?.startsWith("heartbeat")),
    );
    const data = evs.filter((e) => e.event === "executionReport");
    expect(data.map((e) => JSON.parse(e.data!).ExecID)).toEqual([
      "E-ACC1-1",
      "E-ACC1-2",
      "E-ACC1-3",
      "E-ACC2-1",
    ]);
    expect(data.at(-1)!.id).toBe("ACC1:3,ACC2:1");
    expect(parseCursor(data[1]!.id)).toEqual(
      new Map([
        ["ACC1", 2],
        ["ACC2", 0],
      ]),
    );
  });

  it("resumes after Last-Event-ID without gaps or repeats, and pushes new reports", async () => {
    setTimeout(
      () => h.executions.push({ account: "ACC1", accountSeq: 4, report: report("ACC1", 4) }),
      150,
    );
    const evs = await readStream(
      both,
      "/v1/executions/stream",
      (e) => e.filter((x) => x.event).length >= 2,
      {
        "last-event-id": "ACC1:2,ACC2:1",
      },
    );
    const ids = evs
      .filter((e) => e.event === "executionReport")
      .map((e) => JSON.parse(e.data!).ExecID);
    expect(ids).toEqual(["E-ACC1-3", "E-ACC1-4"]);
  });

  it("shows a key only its own accounts, whatever the cursor names", async () => {
    const evs = await readStream(one, "/v1/executions/stream?cursor=ACC1:0", (e) =>
      e.some((x) => x.comment?.startsWith("heartbeat")),
    );
    const accounts = evs.filter((e) => e.event).map((e) => JSON.parse(e.data!).Account);
    expect(accounts).toEqual(["ACC2"]);
    const refused = await fetch(`http://127.0.0.1:${PORT}/v1/executions/stream?account=ACC1`, {
      headers: signedHeaders(
        one.id,
        one.secret,
        "GET",
        "/v1/executions/stream?account=ACC1",
        "",
        Date.now(),
      ),
    });
    expect(refused.status).toBe(403);
  });

  it("rejects a malformed cursor", async () => {
    const path = "/v1/executions/stream";
    const res = await fetch(`http://127.0.0.1:${PORT}${path}`, {
      headers: {
        ...signedHeaders(both.id, both.secret, "GET", path, "", Date.now()),
        "last-event-id": "garbage",
      },
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("BAD_CURSOR");
  });

  it("gap-fills by sequence", async () => {
    const path = "/v1/executions?account=ACC1&after=1&limit=2";
    const res = await fetch(`http://127.0.0.1:${PORT}${path}`, {
      headers: signedHeaders(both.id, both.secret, "GET", path, "", Date.now()),
    });
    expect(res.status).toBe(200);
    const page = (await res.json()) as {
      executions: Array<{ seq: number; report: Record<string, string> }>;
      last: number;
    };
    expect(page.executions.map((e: { seq: number }) => e.seq)).toEqual([2, 3]);
    expect(page.last).toBe(3);
    expect(page.executions[0]?.report).toMatchObject({ MsgType: "8", ExecID: "E-ACC1-2" });
    const amb = await fetch(`http://127.0.0.1:${PORT}/v1/executions`, {
      headers: signedHeaders(both.id, both.secret, "GET", "/v1/executions", "", Date.now()),
    });
    expect(((await amb.json()) as { error: { code: string } }).error.code).toBe("ACCOUNT_REQUIRED");
  });

  it("formats and parses cursors symmetrically, with escaped account names", () => {
    const c = new Map([
      ["A:B,C", 5],
      ["X", 0],
    ]);
    expect(parseCursor(formatCursor(c))).toEqual(c);
    expect(parseCursor("A:")).toBeNull();
    expect(parseCursor("A:-1")).toBeNull();
  });
});

describe("read side outage", () => {
  it("gap-fill answers 503, not 500, when the read side fails", async () => {
    const local = await makeHarness({
      executions: {
        after: async () => {
          throw new Error("relation rm.executions does not exist");
        },
        ready: async () => false,
      },
    });
    const k = local.addKey({ accounts: ["ACC1"], roles: ["dashboard"] });
    const res = await local.signed(k, "GET", "/v1/executions?account=ACC1");
    expect(res.statusCode).toBe(503);
    expect(res.json().error.code).toBe("APPLICATION_NOT_AVAILABLE");
    await local.app.close();
  });
});

describe("shutdown", () => {
  it("ends open streams so the server closes promptly", async () => {
    const local = await makeHarness({
      now: () => Date.now(),
      sse: { heartbeatMs: 1_000, pollMs: 50 },
    });
    const k = local.addKey({ accounts: ["ACC1"], roles: ["trader"] });
    // An ephemeral port: every fixed one of 18180-18189 is taken by another suite.
    const address = await local.app.listen({ host: "127.0.0.1", port: 0 });
    const path = "/v1/executions/stream";
    const res = await fetch(`${address}${path}`, {
      headers: signedHeaders(k.id, k.secret, "GET", path, "", Date.now()),
    });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    await reader.read(); // the stream is open
    const t0 = Date.now();
    await local.app.close();
    expect(Date.now() - t0).toBeLessThan(2_000);
    // The client sees the end of the stream.
    let done = false;
    for (let i = 0; i < 10 && !done; i++) done = (await reader.read()).done;
    expect(done).toBe(true);
  });
});

describe("stream limits", () => {
  it("caps open streams per key and frees the slot when a stream ends", async () => {
    const local = await makeHarness({
      now: () => Date.now(),
      sse: { heartbeatMs: 1_000, pollMs: 50, maxPerKey: 1 },
    });
    const k = local.addKey({ accounts: ["ACC1"], roles: ["dashboard"] });
    const address = await local.app.listen({ host: "127.0.0.1", port: 0 });
    const path = "/v1/executions/stream";
    const open = (ac: AbortController) =>
      fetch(`${address}${path}`, {
        headers: signedHeaders(k.id, k.secret, "GET", path, "", Date.now()),
        signal: ac.signal,
      });
    const first = new AbortController();
    const a = await open(first);
    expect(a.status).toBe(200);
    await a.body!.getReader().read();
    const b = await open(new AbortController());
    expect(b.status).toBe(429);
    expect(((await b.json()) as { error: { code: string } }).error.code).toBe("TOO_MANY_STREAMS");
    first.abort();
    let status = 0;
    for (let i = 0; i < 40 && status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 50));
      const ac = new AbortController();
      const c = await open(ac);
      status = c.status;
      ac.abort();
    }
    expect(status).toBe(200);
    await local.app.close();
  });
});
