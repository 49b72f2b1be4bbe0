// The pipelined HTTP/1.1 client on real sockets (ephemeral ports): requests of
// one loop turn leave in one write, answers match their requests in order,
// every body framing command-service's servers use is read, and each failure
// says truthfully whether the request may have been received.

import http from "node:http";
import type { AddressInfo } from "node:net";
import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { http1Client } from "../../src/http/http1-client.ts";

const closers: Array<() => void> = [];
afterEach(() => {
  for (const c of closers.splice(0)) c();
});

const listen = async (server: net.Server) => {
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return (server.address() as AddressInfo).port;
};

const httpServer = async (handler: http.RequestListener) => {
  const s = http.createServer(handler);
  closers.push(() => {
    s.closeAllConnections();
    s.close();
  });
  return listen(s);
};

/** A raw TCP server: sees exactly the bytes and writes, answers as told. */
const rawServer = async (onData: (socket: net.Socket, chunk: string) => void) => {
  const sockets = new Set<net.Socket>();
  const s = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("data", (c) => onData(socket, c.toString("latin1")));
  });
  closers.push(() => {
    for (const k of sockets) k.destroy();
    s.close();
  });
  return listen(s);
};

const client = (port: number, over: Partial<Parameters<typeof http1Client>[0]> = {}) => {
  const c = http1Client({
    host: "127.0.0.1",
    port,
    connections: 2,
    pipelining: 16,
    timeoutMs: 2_000,
    connectTimeoutMs: 1_000,
    ...over,
  });
  closers.push(() => void c.close());
  return c;
};

const answer = (body: string, extra = "") =>
  `HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n${extra}content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

describe("pipelined HTTP/1.1 client", () => {
  it("sends a loop turn's requests in one write and matches answers in order", async () => {
    const chunks: string[] = [];
    const port = await rawServer((socket, chunk) => {
      chunks.push(chunk);
      const bodies = [...chunk.matchAll(/\r\n\r\n(n[0-9]+)/g)].map((m) => m[1]!);
      socket.write(bodies.map((b) => answer(`re:${b}`)).join(""));
    });
    const c = client(port, { connections: 1 });
    const out = await Promise.all(
      Array.from({ length: 10 }, (_, i) => c.request("POST", "/x", "a: b\r\n", `n${i}`)),
    );
    expect(out.map((r) => (r.ok ? r.res.body : r.reason))).toEqual(
      Array.from({ length: 10 }, (_, i) => `re:n${i}`),
    );
    expect(chunks).toHaveLength(1);
    expect(chunks[0]!.match(/POST \/x HTTP\/1\.1\r\n/g)).toHaveLength(10);
    expect(chunks[0]).toContain("a: b\r\ncontent-length: 2\r\n\r\nn0");
  });

  it("flush() writes requests queued from a setImmediate now, not a loop iteration later", async () => {
    let laterImmediateRan = false;
    const seenBeforeLaterImmediate: boolean[] = [];
    const port = await rawServer((socket, chunk) => {
      seenBeforeLaterImmediate.push(!laterImmediateRan);
      const bodies = [...chunk.matchAll(/\r\n\r\n(n[0-9]+)/g)].map((m) => m[1]!);
      socket.write(bodies.map((b) => answer(`re:${b}`)).join(""));
    });
    const c = client(port, { connections: 1 });
    await c.request("POST", "/x", "", "n0"); // connected
    seenBeforeLaterImmediate.length = 0;
    const out = await new Promise<unknown[]>((resolve) =>
      setImmediate(() => {
        const answers = Promise.all([1, 2, 3].map((i) => c.request("POST", "/x", "", `n${i}`)));
        c.flush();
        setImmediate(() => {
          laterImmediateRan = true;
        });
        void answers.then(resolve);
      }),
    );
    expect(
      out.map((r) =>
        (r as { ok: boolean; res: { body: string } }).ok
          ? (r as { res: { body: string } }).res.body
          : r,
      ),
    ).toEqual(["re:n1", "re:n2", "re:n3"]);
    // The server read them in the poll phase before the next check phase.
    expect(seenBeforeLaterImmediate[0]).toBe(true);
  });

  it("reads content-length, chunked, empty and split answers from a node:http server", async () => {
    const port = await httpServer((req, res) => {
      if (req.url === "/chunked") {
        res.writeHead(404, { "content-type": "application/json" });
        res.write('{"error":');
        setTimeout(() => res.end('"gone","ü":1}'), 5);
      } else if (req.url === "/empty") res.writeHead(204).end();
      else res.end("plain ü");
    });
    const c = client(port);
    const [a, b, e] = await Promise.all([
      c.request("GET", "/chunked", "", null),
      c.request("GET", "/plain", "", null),
      c.request("GET", "/empty", "", null),
    ]);
    expect(a).toEqual({ ok: true, res: { status: 404, body: '{"error":"gone","ü":1}' } });
    expect(b).toEqual({ ok: true, res: { status: 200, body: "plain ü" } });
    expect(e).toEqual({ ok: true, res: { status: 204, body: "" } });
  });

  it("answers that arrive a byte at a time are still parsed", async () => {
    const port = await rawServer((socket) => {
      const bytes = Buffer.from(answer("slow ok"));
      let i = 0;
      const next = () => {
        if (i < bytes.length) socket.write(bytes.subarray(i, ++i), () => setImmediate(next));
      };
      next();
    });
    expect(await client(port).request("GET", "/", "", null)).toEqual({
      ok: true,
      res: { status: 200, body: "slow ok" },
    });
  });

  it("a refused connection was not sent", async () => {
    const s = net.createServer();
    const port = await listen(s);
    await new Promise((r) => s.close(r));
    const out = await client(port).request("POST", "/x", "", "{}");
    expect(out).toMatchObject({ ok: false, sent: false, reason: "ECONNREFUSED" });
  });

  it("no answer within the timeout: every request on that connection is an unknown outcome", async () => {
    const port = await rawServer(() => {}); // reads, never answers
    const c = client(port, { timeoutMs: 200, connections: 1 });
    const out = await Promise.all([
      c.request("POST", "/x", "", "1"),
      c.request("POST", "/x", "", "2"),
    ]);
    for (const r of out) expect(r).toMatchObject({ ok: false, sent: true });
  });

  it("a connection dropped mid-pipeline: answered requests keep their answers, the rest are unknown", async () => {
    const port = await rawServer((socket) => {
      socket.write(answer("first"));
      setTimeout(() => socket.destroy(), 10);
    });
    const c = client(port, { connections: 1 });
    const [a, b] = await Promise.all([
      c.request("POST", "/x", "", "1"),
      c.request("POST", "/x", "", "2"),
    ]);
    expect(a).toEqual({ ok: true, res: { status: 200, body: "first" } });
    expect(b).toMatchObject({ ok: false, sent: true });
  });

  it("connection: close is honoured; later requests go on a new connection", async () => {
    const s = http.createServer((_req, res) => {
      res.setHeader("connection", "close");
      res.end("bye");
    });
    let connections = 0;
    s.on("connection", () => connections++);
    closers.push(() => {
      s.closeAllConnections();
      s.close();
    });
    const c = client(await listen(s), { connections: 1 });
    for (let i = 0; i < 3; i++)
      expect(await c.request("GET", "/", "", null)).toEqual({
        ok: true,
        res: { status: 200, body: "bye" },
      });
    expect(connections).toBe(3);
  });

  it("requests beyond connections × pipelining wait, then go out as answers free room", async () => {
    let seen = 0;
    const port = await httpServer((_req, res) => {
      seen++;
      setTimeout(() => res.end(String(seen)), 5);
    });
    const c = client(port, { connections: 1, pipelining: 2 });
    const out = await Promise.all(Array.from({ length: 7 }, () => c.request("GET", "/", "", null)));
    expect(out.every((r) => r.ok && r.res.status === 200)).toBe(true);
    expect(seen).toBe(7);
  });

  it("send(): the callback form; a request placed from the callback goes out at once on the connection just freed", async () => {
    const sockets = new Set<net.Socket>();
    const writes: string[] = [];
    const port = await rawServer((socket, chunk) => {
      sockets.add(socket);
      writes.push(chunk);
      const n = /\r\n\r\n(n[0-9]+)$/.exec(chunk)?.[1];
      socket.write(answer(`re:${n}`));
    });
    const c = client(port, { connections: 4, pipelining: 1 });
    const bodies: string[] = [];
    let calls = 0;
    await new Promise<void>((finished) => {
      const next = (i: number) =>
        c.send("POST", "/x", "", `n${i}`, (r) => {
          calls++;
          bodies.push(r.ok ? r.res.body : r.reason);
          if (i < 5) next(i + 1);
          else finished();
        });
      next(0);
    });
    expect(bodies).toEqual(["re:n0", "re:n1", "re:n2", "re:n3", "re:n4", "re:n5"]);
    expect(calls).toBe(6);
    // One connection served them all, one request per write.
    expect(sockets.size).toBe(1);
    expect(writes).toHaveLength(6);
  });

  it("with one request per connection, a request is written before the loop turn ends", async () => {
    const port = await rawServer((socket) => socket.write(answer("ok")));
    const c = client(port, { connections: 1, pipelining: 1 });
    expect(await c.request("GET", "/", "", null)).toMatchObject({ ok: true }); // connected
    let wrote = 0;
    const origWrite = net.Socket.prototype.write;
    net.Socket.prototype.write = function (this: net.Socket, ...args: unknown[]) {
      wrote++;
      return (origWrite as (...a: unknown[]) => boolean).apply(this, args);
    } as typeof origWrite;
    try {
      const answered = c.request("GET", "/", "", null);
      expect(wrote).toBe(1);
      expect(await answered).toMatchObject({ ok: true, res: { body: "ok" } });
    } finally {
      net.Socket.prototype.write = origWrite;
    }
  });

  it("close() waits for requests in flight", async () => {
    const port = await httpServer((_req, res) => setTimeout(() => res.end("late"), 50));
    const c = client(port);
    const pending = c.request("GET", "/", "", null);
    await c.close();
    expect(await pending).toEqual({ ok: true, res: { status: 200, body: "late" } });
    expect(await c.request("GET", "/", "", null)).toMatchObject({ ok: false, sent: false });
  });
});
