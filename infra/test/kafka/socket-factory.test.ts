import { createServer, type Server, Socket } from "node:net";
import type { ConnectionOptions } from "node:tls";
import { afterEach, describe, expect, it, vi } from "vitest";
import { noDelaySocketFactory } from "../../src/kafka/client.ts";

// createKafka's sockets turn Nagle's algorithm off (kafkajs leaves it on):
// with it, the last partial segment of a request larger than one segment
// waited for the broker's delayed ACK.

let server: Server | undefined;
afterEach(async () => {
  vi.restoreAllMocks();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

async function listen(onData: (bytes: number) => void): Promise<number> {
  server = createServer((s) => s.on("data", (d: Buffer) => onData(d.length)));
  await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

describe("noDelaySocketFactory", () => {
  it("connects with TCP_NODELAY and keep-alive, and the bytes arrive", async () => {
    const noDelay = vi.spyOn(Socket.prototype, "setNoDelay");
    const keepAlive = vi.spyOn(Socket.prototype, "setKeepAlive");
    let received = 0;
    const payload = 150_000;
    const all = new Promise<void>((resolve) => {
      void listen((n) => {
        received += n;
        if (received >= payload + 100) resolve();
      }).then((port) => {
        const socket = noDelaySocketFactory({
          host: "127.0.0.1",
          port,
          // kafkajs passes no TLS options for a plain connection.
          ssl: undefined as unknown as ConnectionOptions,
          onConnect: () => {
            // A request larger than a loopback segment, then a small one right behind it.
            socket.write(Buffer.alloc(payload, 1));
            socket.write(Buffer.alloc(100, 2));
          },
        });
        all.finally(() => socket.destroy());
      });
    });
    await all;
    expect(received).toBe(payload + 100);
    expect(noDelay).toHaveBeenCalledWith(true);
    expect(keepAlive).toHaveBeenCalledWith(true, 60_000);
  });
});

describe("coalesceWrites", () => {
  it("writes of one callback and its promise chains leave in one send; a later callback's in another", async () => {
    const chunks: number[] = [];
    const port = await listen((n) => chunks.push(n));
    const socket = await new Promise<Socket>((resolve) => {
      const s: Socket = noDelaySocketFactory({
        host: "127.0.0.1",
        port,
        ssl: undefined as unknown as ConnectionOptions,
        onConnect: () => resolve(s),
      }) as Socket;
    });
    try {
      // As kafkajs sends two requests started together: one write now, the
      // other after a few awaits (its encoding). Held = still in the socket's
      // buffer right after the write, i.e. not sent on its own.
      const held: number[] = [];
      const write = (n: number) => {
        socket.write(Buffer.alloc(n, n % 256));
        held.push(socket.writableLength);
      };
      let afterCallback = -1;
      setImmediate(() => {
        write(100);
        void Promise.resolve()
          .then(() => undefined)
          .then(() => {
            write(200);
            queueMicrotask(() => write(300));
          });
        setImmediate(() => {
          afterCallback = socket.writableLength;
        });
      });
      await waitFor(() => chunks.reduce((a, b) => a + b, 0) >= 600 && afterCallback >= 0);
      expect(held).toEqual([100, 300, 600]);
      expect(afterCallback).toBe(0);
      expect(chunks).toEqual([600]);
      // A later callback's write is its own send, not held for anything.
      await new Promise((r) => setTimeout(r, 30));
      setImmediate(() => {
        socket.write(Buffer.alloc(50, 4));
        held.push(socket.writableLength);
      });
      await waitFor(() => chunks.length === 2);
      expect(held[3]).toBe(50);
      expect(chunks).toEqual([600, 50]);
      expect(socket.writableCorked).toBe(0);
    } finally {
      socket.destroy();
    }
  });
});

async function waitFor(ok: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !ok(); i++) await new Promise((r) => setTimeout(r, 5));
  if (!ok()) throw new Error("timed out");
}
