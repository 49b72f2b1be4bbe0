// WORKERS > 1 (ADR 101): the first process accepts every connection on PORT
// and deals them in turn to itself and its API processes, so each serves the
// same share. With SO_REUSEPORT the kernel hashed each connection to a
// process: a gateway's 8 upstream connections landed 4/4, 5/3 or 6/2, and the
// process with 6 was the limit while the other idled.
import type { ChildProcess } from "node:child_process";
import { createServer, type Server, type Socket } from "node:net";

/** The IPC message that carries a dealt connection's socket. */
const CONNECTION = "fxcore:connection";

/** Where a dealt connection is served: the process's own HTTP server. */
export interface ConnectionSink {
  emit(event: "connection", socket: Socket): boolean;
}

/**
 * Listens on host:port and deals connections round robin: turn 0 to `own`,
 * turn i to `workers[i - 1]`. A worker whose channel is gone is skipped.
 */
export async function dealConnections(
  own: ConnectionSink,
  workers: readonly ChildProcess[],
  host: string,
  port: number,
): Promise<Server> {
  let turn = 0;
  // Until a socket is served (where the HTTP server handles its errors), a reset drops it quietly.
  const drop = function (this: Socket) {
    this.destroy();
  };
  const serveHere = (socket: Socket) => {
    socket.off("error", drop);
    own.emit("connection", socket);
    socket.resume();
  };
  // Paused: a socket handed to another process must not have been read here.
  const server = createServer({ pauseOnConnect: true, noDelay: true }, (socket) => {
    socket.on("error", drop);
    for (let tries = 0; tries <= workers.length; tries++) {
      const t = turn;
      turn = (turn + 1) % (workers.length + 1);
      if (t === 0) return serveHere(socket);
      const w = workers[t - 1];
      if (w?.connected) {
        w.send({ type: CONNECTION }, socket, { keepOpen: false }, (err) => {
          // The worker went away between the check and the send: serve it here.
          if (err && !socket.destroyed) serveHere(socket);
        });
        return;
      }
    }
    serveHere(socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host, port }, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return server;
}

/** In an API process: serve the connections the first process deals to it. */
export function receiveConnections(own: ConnectionSink): void {
  process.on("message", (message: unknown, socket: unknown) => {
    if ((message as { type?: unknown } | null)?.type !== CONNECTION || socket == null) return;
    const s = socket as Socket;
    own.emit("connection", s);
    s.resume();
  });
}
