// A lean HTTP/1.1 client for the load generator: keep-alive sockets with
// pipelined requests, the requests of one tick written with one syscall per
// socket, responses parsed just enough (status line, content-length, body).
// It exists so the generator costs the shared cores as little as possible;
// the wire is ordinary HTTP/1.1, one request per command, that any server
// (here Node's http server under Fastify) handles.
import { connect, type Socket } from "node:net";

export interface HttpAnswer {
  readonly status: number;
  readonly body: Buffer;
}

interface Waiting {
  readonly resolve: (a: HttpAnswer) => void;
  readonly reject: (e: Error) => void;
}

const HEAD_END = Buffer.from("\r\n\r\n");
const CONTENT_LENGTH = /\r\ncontent-length:\s*(\d+)/i;

class Connection {
  readonly #socket: Socket;
  readonly #waiting: Waiting[] = [];
  #out: string[] = [];
  #flushScheduled = false;
  #buffer: Buffer = Buffer.alloc(0);
  #failed: Error | undefined;

  constructor(socket: Socket) {
    this.#socket = socket;
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => this.#onData(chunk));
    const fail = (e: Error) => {
      this.#failed ??= e;
      for (const w of this.#waiting.splice(0)) w.reject(e);
    };
    socket.on("error", fail);
    socket.on("close", () => fail(new Error("connection closed")));
  }

  send(request: string): Promise<HttpAnswer> {
    if (this.#failed !== undefined) return Promise.reject(this.#failed);
    this.#out.push(request);
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      setImmediate(() => {
        this.#flushScheduled = false;
        const out = this.#out;
        this.#out = [];
        this.#socket.write(out.length === 1 ? (out[0] ?? "") : out.join(""));
      });
    }
    return new Promise((resolve, reject) => this.#waiting.push({ resolve, reject }));
  }

  #onData(chunk: Buffer): void {
    let buf = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    for (;;) {
      const headEnd = buf.indexOf(HEAD_END);
      if (headEnd < 0) break;
      const head = buf.toString("latin1", 0, headEnd);
      const length = Number(CONTENT_LENGTH.exec(head)?.[1] ?? Number.NaN);
      if (Number.isNaN(length)) {
        this.#socket.destroy(new Error(`response without content-length: ${head.slice(0, 200)}`));
        return;
      }
      const end = headEnd + HEAD_END.length + length;
      if (buf.length < end) break;
      const status = Number(head.slice(9, 12));
      const body = buf.subarray(headEnd + HEAD_END.length, end);
      this.#waiting.shift()?.resolve({ status, body });
      buf = buf.subarray(end);
    }
    this.#buffer = buf.length === 0 ? Buffer.alloc(0) : Buffer.from(buf);
  }

  close(): void {
    this.#socket.end();
  }
}

/** `connections` keep-alive sockets to 127.0.0.1:port, used in turn. */
export async function pipelinedClient(
  port: number,
  connections: number,
): Promise<{ send(request: string): Promise<HttpAnswer>; close(): void }> {
  const conns = await Promise.all(
    Array.from(
      { length: connections },
      () =>
        new Promise<Connection>((resolve, reject) => {
          const s = connect(port, "127.0.0.1", () => resolve(new Connection(s)));
          s.once("error", reject);
        }),
    ),
  );
  let next = 0;
  return {
    send: (request) => {
      // Round robin: a closed loop keeps the sockets evenly loaded.
      const c = conns[next] as Connection;
      next = (next + 1) % conns.length;
      return c.send(request);
    },
    close: () => {
      for (const c of conns) c.close();
    },
  };
}
