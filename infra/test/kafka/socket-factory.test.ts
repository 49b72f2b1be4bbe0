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
