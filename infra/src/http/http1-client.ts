// A small HTTP/1.1 client for hot internal calls (the gateway's upstream on
// every order; the load generators of the benches): keep-alive connections, pipelining, and requests queued on a
// connection during one event-loop turn leave in ONE write (setImmediate
// flush). On loopback each write is a syscall that also runs the receiver's
// TCP path, and it was the largest single cost per order; undici writes each
// request on its own (ADR 065).
//
// What it does not do: TLS, redirects, 1xx, trailers, request streaming. It
// reads content-length, chunked and read-until-close bodies.
//
// Outcomes are the caller's business, so every failure says whether the
// request may have reached the server: `sent: false` only when its bytes were
// never written to a connected socket.

import net from "node:net";

export interface Http1Response {
  readonly status: number;
  readonly body: string;
}

export type Http1Result =
  | { readonly ok: true; readonly res: Http1Response }
  | { readonly ok: false; readonly sent: boolean; readonly reason: string };

export interface Http1ClientOptions {
  readonly host: string;
  readonly port: number;
  /** Connections opened at most (lazily). */
  readonly connections: number;
  /** Requests in flight per connection. */
  readonly pipelining: number;
  /** From the write to the whole answer; then the connection is dropped and its requests fail, sent. */
  readonly timeoutMs: number;
  readonly connectTimeoutMs: number;
  /** Idle keep-alive connections are closed after this (below the server's own timeout). */
  readonly idleMs?: number;
}

export interface Http1Client {
  /** `headers`: complete header lines, each ending in CRLF (no content-length). */
  request(method: string, path: string, headers: string, body: string | null): Promise<Http1Result>;
  /**
   * `request` without the promise: `done` is called once with the outcome,
   * synchronously from the read or failure that settles it (so it must not
   * throw). For callers that make one request per order on a hot path (the
   * benches' load generators), where a promise and its continuation per
   * request are a measurable part of the cost.
   */
  send(
    method: string,
    path: string,
    headers: string,
    body: string | null,
    done: (r: Http1Result) => void,
  ): void;
  /**
   * Writes what is queued now instead of at the end of the turn: for a caller
   * that queues its requests from a setImmediate itself (a flush scheduled
   * from there would only run on the next loop iteration).
   */
  flush(): void;
  /** Waits for requests in flight, then closes every connection. */
  close(): Promise<void>;
}

interface Pending {
  /** The request's bytes until written; then "" (an answer may take long: keep no copy alive). */
  text: string;
  readonly resolve: (r: Http1Result) => void;
  readonly queuedAt: number;
  sentAt: number;
}

const HEAD_END = Buffer.from("\r\n\r\n");
const CRLF = Buffer.from("\r\n");

/** A header's value from a lower-cased head ("\r\nname:" given whole), or null. */
const headerOf = (head: string, nameLine: string): string | null => {
  const at = head.indexOf(nameLine);
  if (at < 0) return null;
  const end = head.indexOf("\r\n", at + 2);
  return head.slice(at + nameLine.length, end < 0 ? undefined : end).trim();
};

export const http1Client = (o: Http1ClientOptions): Http1Client => {
  const idleMs = o.idleMs ?? 4_000;
  const conns = new Set<Connection>();
  const waiting: Pending[] = []; // no connection has room
  let closed = false;
  let onDrained: (() => void) | null = null;
  const dirty = new Set<Connection>();
  /** Connections that became idle (load 0) since last picked; entries may be stale, pick checks. */
  const idle: Connection[] = [];
  const readBuffer = Buffer.allocUnsafeSlow(64 * 1024);
  let flushScheduled = false;

  const flush = () => {
    flushScheduled = false;
    for (const c of dirty) c.flush();
    dirty.clear();
  };
  const markDirty = (c: Connection) => {
    dirty.add(c);
    if (!flushScheduled) {
      flushScheduled = true;
      setImmediate(flush);
    }
  };

  class Connection {
    readonly socket: net.Socket;
    connected = false;
    dead = false;
    /** Written, awaiting their answers, in order. */
    readonly inflight: Pending[] = [];
    /** Assigned, not yet written. */
    out: Pending[] = [];
    buf: Buffer = Buffer.alloc(0);
    lastUsed = Date.now();
    closeAfter = false;

    constructor() {
      // Reads land in the client's one buffer and come to onData directly: no
      // 'data' event, stream state or Buffer per read (a read callback runs to
      // its end before the next read, so one buffer serves every connection).
      this.socket = net.connect({
        host: o.host,
        port: o.port,
        noDelay: true,
        onread: {
          buffer: readBuffer,
          callback: (n: number) => {
            this.onData(readBuffer, n);
            return true;
          },
        },
      });
      this.socket.setTimeout(o.connectTimeoutMs, () => {
        if (!this.connected) this.fail("UND_ERR_CONNECT_TIMEOUT");
      });
      this.socket.on("connect", () => {
        this.connected = true;
        this.socket.setTimeout(0);
        if (this.out.length > 0) markDirty(this);
      });
      this.socket.on("error", (e: NodeJS.ErrnoException) => this.fail(e.code ?? e.message));
      this.socket.on("close", () => this.fail("UND_ERR_SOCKET"));
    }

    get load(): number {
      return this.inflight.length + this.out.length;
    }

    enqueue(p: Pending) {
      this.out.push(p);
      if (!this.connected) return;
      // One request at a time per connection: nothing could join it in this
      // turn, so it leaves now (no setImmediate, no dirty set).
      if (o.pipelining === 1) this.flush();
      else markDirty(this);
    }

    flush() {
      if (this.dead || !this.connected || this.out.length === 0) return;
      const batch = this.out;
      this.out = [];
      const now = Date.now();
      let text = "";
      for (const p of batch) {
        p.sentAt = now;
        text += p.text;
        p.text = "";
        this.inflight.push(p);
      }
      this.socket.write(text);
    }

    /** `n` bytes arrived at the start of `shared` (reused by the next read). */
    onData(shared: Buffer, n: number) {
      const chunk = shared.subarray(0, n);
      this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
      for (;;) {
        const r = this.dead ? null : this.parseOne();
        if (r === null) break;
        const p = this.inflight.shift();
        if (!p) {
          this.fail("unexpected response");
          break;
        }
        this.lastUsed = Date.now();
        if (this.closeAfter) {
          p.resolve({ ok: true, res: r }); // a request placed now skips this connection (closeAfter)
          this.retire();
          break;
        }
        pump(this);
        if (this.load === 0 && !this.dead) idle.push(this);
        // Last: a callback (send) may place its next request at once, and
        // should find this connection idle, as a promise's continuation would.
        p.resolve({ ok: true, res: r });
      }
      // What stays for the next read must not live in the shared buffer.
      if (this.buf.length > 0 && this.buf.buffer === shared.buffer)
        this.buf = Buffer.from(this.buf);
    }

    /** One whole response off the front of the buffer, or null when more bytes are needed. */
    parseOne(): Http1Response | null {
      const buf = this.buf;
      const headEnd = buf.indexOf(HEAD_END);
      if (headEnd < 0) return null;
      const head = buf.toString("latin1", 0, headEnd).toLowerCase();
      const status = Number(head.slice(9, 12));
      const bodyStart = headEnd + 4;
      const connection = headerOf(head, "\r\nconnection:");
      if (connection === "close") this.closeAfter = true;
      const keepAlive = headerOf(head, "\r\nkeep-alive:");
      if (keepAlive && keepAlive !== this.keepAliveSeen) {
        this.keepAliveSeen = keepAlive;
        const t = /timeout=(\d+)/.exec(keepAlive);
        if (t) this.idleLimit = Math.max(0, Math.min(idleMs, Number(t[1]) * 1000 - 1000));
      }
      const length = headerOf(head, "\r\ncontent-length:");
      if (length !== null) {
        const n = Number(length);
        if (buf.length < bodyStart + n) return null;
        this.buf = buf.subarray(bodyStart + n);
        return { status, body: buf.toString("utf8", bodyStart, bodyStart + n) };
      }
      if (headerOf(head, "\r\ntransfer-encoding:")?.includes("chunked")) {
        const parts: Buffer[] = [];
        let at = bodyStart;
        for (;;) {
          const lineEnd = buf.indexOf(CRLF, at);
          if (lineEnd < 0) return null;
          const size = Number.parseInt(buf.toString("latin1", at, lineEnd), 16);
          if (Number.isNaN(size)) {
            this.fail("bad chunk");
            return null;
          }
          if (size === 0) {
            // No trailers are expected: the last chunk is "0\r\n\r\n".
            if (buf.length < lineEnd + 4) return null;
            this.buf = buf.subarray(lineEnd + 4);
            return { status, body: Buffer.concat(parts).toString("utf8") };
          }
          if (buf.length < lineEnd + 2 + size + 2) return null;
          parts.push(buf.subarray(lineEnd + 2, lineEnd + 2 + size));
          at = lineEnd + 2 + size + 2;
        }
      }
      if (status === 204 || status === 304 || (status >= 100 && status < 200)) {
        this.buf = buf.subarray(bodyStart);
        return { status, body: "" };
      }
      // Body until the server closes: answered in fail() when it does.
      this.closeAfter = true;
      this.untilClose = { status, bodyStart };
      return null;
    }

    idleLimit = idleMs;
    /** The last keep-alive header read (the same on every answer of a server). */
    keepAliveSeen = "";
    untilClose: { status: number; bodyStart: number } | null = null;

    /** The server will answer nothing more here: requests not yet written go elsewhere. */
    retire() {
      this.dead = true;
      conns.delete(this);
      this.socket.destroy();
      for (const p of this.inflight.splice(0)) p.resolve(unknown("connection closed by server"));
      waiting.unshift(...this.out.splice(0));
      pumpWaiting();
    }

    fail(reason: string) {
      if (this.dead) return;
      this.dead = true;
      conns.delete(this);
      this.socket.destroy();
      const until = this.untilClose;
      if (until && this.inflight.length > 0) {
        const p = this.inflight.shift()!;
        p.resolve({
          ok: true,
          res: { status: until.status, body: this.buf.toString("utf8", until.bodyStart) },
        });
      }
      for (const p of this.inflight.splice(0)) p.resolve(unknown(reason));
      // Never written: definitely not received.
      for (const p of this.out.splice(0))
        p.resolve({ ok: false, sent: false, reason: this.connected ? "connection lost" : reason });
      if (!this.connected) {
        // The server is unreachable: what waits would fail the same way.
        for (const p of waiting.splice(0)) p.resolve({ ok: false, sent: false, reason });
      }
      pumpWaiting();
      checkDrained();
    }
  }

  const unknown = (reason: string): Http1Result => ({ ok: false, sent: true, reason });

  /**
   * The least loaded connection with room; a new one only when none has room.
   * Fewer, fuller connections mean more requests per write.
   */
  const pick = (): Connection | null => {
    // An idle connection is as lightly loaded as any: take it without a scan.
    while (idle.length > 0) {
      const c = idle.pop()!;
      if (!c.dead && !c.closeAfter && c.load === 0) return c;
    }
    let best: Connection | null = null;
    for (const c of conns) {
      if (c.dead || c.closeAfter || c.load >= o.pipelining) continue;
      if (best === null || c.load < best.load) best = c;
    }
    if (best === null && conns.size < o.connections) {
      best = new Connection();
      conns.add(best);
    }
    return best;
  };

  const pump = (c: Connection) => {
    while (waiting.length > 0 && !c.dead && !c.closeAfter && c.load < o.pipelining)
      c.enqueue(waiting.shift()!);
    checkDrained();
  };
  const pumpWaiting = () => {
    while (waiting.length > 0) {
      const c = pick();
      if (!c) return;
      c.enqueue(waiting.shift()!);
    }
  };

  const checkDrained = () => {
    if (!onDrained || waiting.length > 0) return;
    for (const c of conns) if (c.load > 0) return;
    onDrained();
  };

  // One timer for every deadline: a request's own timer would cost more than its parsing.
  const tick = Math.max(10, Math.min(250, Math.floor(o.timeoutMs / 4)));
  const timer = setInterval(() => {
    const now = Date.now();
    for (const c of conns) {
      const oldest = c.inflight[0] ?? c.out[0];
      if (oldest && now - (oldest.sentAt || oldest.queuedAt) > o.timeoutMs)
        c.fail("UND_ERR_HEADERS_TIMEOUT");
      else if (c.load === 0 && now - c.lastUsed > c.idleLimit) {
        c.dead = true;
        conns.delete(c);
        c.socket.destroy();
      }
    }
    while (waiting.length > 0 && now - waiting[0]!.queuedAt > o.timeoutMs)
      waiting.shift()!.resolve({ ok: false, sent: false, reason: "no upstream connection free" });
  }, tick);
  timer.unref();

  const hostLine = `host: ${o.host}:${o.port}\r\n`;
  const send = (
    method: string,
    path: string,
    headers: string,
    body: string | null,
    done: (r: Http1Result) => void,
  ): void => {
    if (closed) {
      done({ ok: false, sent: false, reason: "client closed" });
      return;
    }
    const text =
      body === null
        ? `${method} ${path} HTTP/1.1\r\n${hostLine}${headers}\r\n`
        : `${method} ${path} HTTP/1.1\r\n${hostLine}${headers}content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
    const p: Pending = { text, resolve: done, queuedAt: Date.now(), sentAt: 0 };
    const c = pick();
    if (c) c.enqueue(p);
    else waiting.push(p);
  };

  return {
    flush() {
      if (flushScheduled) flush();
    },
    request(method, path, headers, body) {
      return new Promise((resolve) => send(method, path, headers, body, resolve));
    },
    send,
    close() {
      closed = true;
      return new Promise<void>((resolve) => {
        onDrained = () => {
          onDrained = null;
          clearInterval(timer);
          for (const c of conns) {
            c.dead = true;
            c.socket.destroy();
          }
          conns.clear();
          resolve();
        };
        checkDrained();
      });
    },
  };
};
