// A raw HTTP/1.1 front for one hot route (ADR 067; the gateway's order
// entry, command-service's order batches, ADR 136). Every connection the
// server accepts starts here. As long as a connection sends ordinary requests
// of that route — its exact request line, a body of a length the owner
// accepts, nothing unusual in the head — the front parses them and writes the
// answers itself: no IncomingMessage/ServerResponse, no streams, one write per
// ready run of answers. At the first request that is anything else, the
// connection is handed, with the bytes read so far, to node:http (and so to
// Fastify) for the rest of its life: node's parser then judges the odd
// request (malformed, too large, chunked, HTTP/1.0, Expect, Connection:
// close…) exactly as it always did. The front never answers an error of its
// own except a request timeout.

import { type Server, STATUS_CODES } from "node:http";
import type { Socket } from "node:net";

/** The headers a front reads, by lowercase name (a repeated one is handed off). */
export interface RawHeaders {
  readonly host: string | undefined;
  readonly "content-type": string | undefined;
  readonly "content-length": string | undefined;
  readonly connection: string | undefined;
  readonly [name: string]: string | undefined;
}

export interface RawFrontRequest {
  readonly headers: RawHeaders;
  readonly body: string;
  /** performance.now() when the whole request had arrived. */
  readonly t0: number;
}

export interface RawFrontAnswer {
  readonly status: number;
  /** Lowercase names; no content-length, date or connection (the front adds them). */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export interface RawFrontOptions {
  /** The route, e.g. "POST /v1/fix": a request with any other line is node's. */
  readonly route: string;
  /** Lowercase names of the headers read besides host, content-type, content-length and connection. */
  readonly headers?: readonly string[];
  /** Whether a complete head is ours (besides the checks the front makes itself). */
  readonly accepts: (headers: RawHeaders, contentLength: number) => boolean;
  /** The answer, at once when it needs no waiting (rejects), else a promise of it. */
  readonly handle: (req: RawFrontRequest) => RawFrontAnswer | Promise<RawFrontAnswer>;
  /** While true, every new request is handed off (Fastify answers 503 while closing). */
  readonly closing: () => boolean;
  /** A request not complete after this long gets 408 and the connection is closed. */
  readonly requestTimeoutMs: number;
  /** Idle keep-alive connections close after this (node's keepAliveTimeout). */
  readonly keepAliveMs: number;
}

export interface RawFront {
  /** Connections the front still owns, and requests it answered, handed off. */
  readonly stats: {
    readonly open: number;
    readonly answered: number;
    readonly handedOff: number;
    /** Times a connection's reading was paused until its answers went out. */
    readonly throttled: number;
  };
  /** Ends idle connections now and busy ones after their last answer. */
  close(): void;
}

const HEAD_END = Buffer.from("\r\n\r\n");
/** Requests in progress per connection before the front stops reading it. */
const MAX_IN_PROGRESS = 256;
/** Unsent answer bytes per connection before the front stops reading it (a client not reading). */
const MAX_UNSENT = 1024 * 1024;
/** node's default maxHeaderSize: a longer head is node's to refuse (431). */
const MAX_HEAD = 16 * 1024;
/** The characters of a header name (RFC 9110 token): !#$%&'*+-.^_`|~, digits, letters. */
const TOKEN_CHAR = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
  TOKEN_CHAR[c.charCodeAt(0)] = 1;
/** The headers every front reads. */
const BASE_NAMES = ["host", "content-type", "content-length", "connection"];
/** Framing and protocol headers: a request with any of them is node's to judge. */
const FOREIGN_NAMES = ["transfer-encoding", "expect", "upgrade", "te", "trailer"];

/** What String.prototype.trim removes, within latin1 (a head is decoded as latin1). */
const isTrimmed = (c: number): boolean => c === 0x20 || (c >= 0x09 && c <= 0x0d) || c === 0xa0;

const STATUS_LINES = new Map<number, string>();
/** "HTTP/1.1 200 OK\r\n", written once per status. */
const statusLine = (status: number): string => {
  let line = STATUS_LINES.get(status);
  if (line === undefined) {
    line = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? "Unknown"}\r\n`;
    STATUS_LINES.set(status, line);
  }
  return line;
};

let cachedDate = "";
let cachedDateAt = 0;
const httpDate = (): string => {
  const now = Date.now();
  if (now - cachedDateAt >= 1000 || now < cachedDateAt) {
    cachedDateAt = now - (now % 1000);
    cachedDate = new Date(now).toUTCString();
  }
  return cachedDate;
};

/** A route's request line and the reader of its heads. */
interface HeadReader {
  /** "POST /path HTTP/1.1\r\n" as bytes. */
  readonly line: Buffer;
  /**
   * A complete head (without its final CRLFCRLF) of a request that starts
   * with `line`: the headers read, or null when node should judge it (a
   * malformed line, a framing header, a repeat of one read — node would join
   * repeats, so they are its business).
   */
  parse(head: string): RawHeaders | null;
}

const headReader = (route: string, extra: readonly string[]): HeadReader => {
  const line = `${route} HTTP/1.1\r\n`;
  if (!/^[A-Z]+ \/\S* HTTP\/1\.1\r\n$/.test(line)) throw new Error(`raw front: bad route ${route}`);
  for (const n of extra)
    if (n !== n.toLowerCase() || [...BASE_NAMES, ...FOREIGN_NAMES].includes(n))
      throw new Error(`raw front: header ${n} must be lowercase and not one the front handles`);
  const read = [...BASE_NAMES, ...extra];
  // Every name met in place is one of these literals: no string is sliced per
  // header, and a literal key costs no string-table lookup.
  const known = [...read, ...FOREIGN_NAMES];
  const knownName = (head: string, at: number, length: number): string => {
    for (const n of known) if (n.length === length && head.startsWith(n, at)) return n;
    return "";
  };
  return {
    line: Buffer.from(line, "latin1"),
    parse(head) {
      const h: Record<string, string | undefined> = {};
      for (const n of read) h[n] = undefined;
      let at = line.length;
      while (at < head.length) {
        let end = head.indexOf("\r\n", at);
        if (end < 0) end = head.length;
        const colon = head.indexOf(":", at);
        if (colon <= at || colon > end) return null;
        // A token (TOKEN_CHAR), checked in place; a lowercase name is matched in place too.
        let lower = true;
        for (let i = at; i < colon; i++) {
          const c = head.charCodeAt(i);
          if (c >= 128 || TOKEN_CHAR[c] === 0) return null;
          if (c >= 0x41 && c <= 0x5a) lower = false;
        }
        const name = lower ? knownName(head, at, colon - at) : head.slice(at, colon).toLowerCase();
        // The value as trim() would leave it; sliced only when read.
        let from = colon + 1;
        let to = end;
        while (from < to && isTrimmed(head.charCodeAt(from))) from++;
        while (to > from && isTrimmed(head.charCodeAt(to - 1))) to--;
        for (let i = from; i < to; i++) {
          const c = head.charCodeAt(i);
          // Visible ASCII, space and tab only: anything else is node's to judge.
          if (c !== 0x09 && (c < 0x20 || c > 0x7e)) return null;
        }
        at = end + 2;
        if (name === "") continue;
        if (read.includes(name)) {
          if (h[name] !== undefined) return null;
          h[name] = head.slice(from, to);
        } else if (FOREIGN_NAMES.includes(name)) return null;
      }
      return h as RawHeaders;
    },
  };
};

interface Slot {
  /** The whole answer, head and body, once it is ready. */
  bytes: Buffer | null;
}

/**
 * Takes over `server`'s connections: they reach node:http only when the front
 * hands them off.
 */
export const attachRawFront = (server: Server, o: RawFrontOptions): RawFront => {
  const reader = headReader(o.route, o.headers ?? []);
  const listeners = server.listeners("connection") as Array<(s: Socket) => void>;
  const first = listeners[0];
  if (listeners.length !== 1 || first === undefined)
    throw new Error("raw front: expected node:http's one connection listener");
  const nodeConnection: (s: Socket) => void = first;
  server.removeListener("connection", nodeConnection);

  const lineLength = reader.line.length;
  /** Whether `buf` starts with the first `n` bytes of the request line (no string made). */
  const startsLikeRoute = (buf: Buffer, n: number): boolean => {
    for (let i = 0; i < n; i++) if (buf[i] !== reader.line[i]) return false;
    return true;
  };
  const conns = new Set<Connection>();
  const headTail = `connection: keep-alive\r\nkeep-alive: timeout=${Math.floor(o.keepAliveMs / 1000)}\r\n\r\n`;
  const stats = { open: 0, answered: 0, handedOff: 0, throttled: 0 };

  /**
   * An answer's bytes, head and body, in one buffer, as UTF-8 (what writing
   * it as a string did). The head is one short string written with one call:
   * a call per piece (about twenty per answer) cost more than the cons string
   * it leaves to the GC. The body, the long part, is never joined to the head
   * as a string.
   */
  const answerBytes = (a: RawFrontAnswer): Buffer => {
    const bodyBytes = Buffer.byteLength(a.body);
    let head = statusLine(a.status);
    for (const k in a.headers) head += `${k}: ${a.headers[k]!}\r\n`;
    head += `content-length: ${bodyBytes}\r\ndate: ${httpDate()}\r\n${headTail}`;
    const headBytes = Buffer.byteLength(head);
    const out = Buffer.allocUnsafe(headBytes + bodyBytes);
    out.write(head, 0, headBytes, "utf8");
    out.write(a.body, headBytes, bodyBytes, "utf8");
    return out;
  };

  let closed = false;

  class Connection {
    buf: Buffer | null = null;
    /** Answers in request order; written from the front as they complete. */
    readonly slots: Slot[] = [];
    /** When the unfinished request at the front of `buf` began arriving (0: none). */
    partialSince = 0;
    lastActive = Date.now();
    handingOff = false;
    closeAfter = false;
    dead = false;
    /** Reading stopped until answers go out (too many in progress, or unsent). */
    throttled = false;
    /** Inside parse(): see there. */
    parsing = false;
    readonly onData = (chunk: Buffer) => this.data(chunk);
    readonly onEnd = () => this.finish();
    readonly onClose = () => this.gone();
    readonly onError = () => this.gone();
    readonly onDrain = () => this.unthrottle();

    readonly socket: Socket;

    constructor(socket: Socket) {
      this.socket = socket;
      socket.setNoDelay(true);
      socket.on("data", this.onData);
      socket.on("end", this.onEnd);
      socket.on("close", this.onClose);
      socket.on("error", this.onError);
      socket.on("drain", this.onDrain);
    }

    data(chunk: Buffer) {
      this.lastActive = Date.now();
      this.buf = this.buf === null ? chunk : Buffer.concat([this.buf, chunk]);
      this.parse();
    }

    parse() {
      // An answer given at once flushes inside this loop; a flush that resumes
      // reading must not start a second loop over the same buffer.
      if (this.parsing) return;
      this.parsing = true;
      try {
        this.parseLoop();
      } finally {
        this.parsing = false;
      }
    }

    parseLoop() {
      for (;;) {
        const buf = this.buf;
        if (buf === null || buf.length === 0 || this.handingOff || this.dead) return;
        if (this.socket.destroyed) return;
        if (this.slots.length >= MAX_IN_PROGRESS) return this.throttle();
        // Not our request line: node's, from this byte on.
        const n = Math.min(buf.length, lineLength);
        if (!startsLikeRoute(buf, n) || closed || o.closing()) return this.handOff();
        const headEnd = buf.indexOf(HEAD_END);
        if (headEnd < 0) {
          if (buf.length > MAX_HEAD) return this.handOff();
          if (this.partialSince === 0) this.partialSince = Date.now();
          return;
        }
        if (headEnd > MAX_HEAD) return this.handOff();
        const headers = reader.parse(buf.toString("latin1", 0, headEnd));
        const lengthText = headers?.["content-length"];
        if (headers === null || lengthText === undefined || !/^[0-9]{1,9}$/.test(lengthText))
          return this.handOff();
        const length = Number(lengthText);
        const connection = headers.connection?.toLowerCase();
        if (
          headers.host === undefined ||
          (connection !== undefined && connection !== "keep-alive") ||
          !o.accepts(headers, length)
        )
          return this.handOff();
        const end = headEnd + 4 + length;
        if (buf.length < end) {
          if (this.partialSince === 0) this.partialSince = Date.now();
          return;
        }
        const body = buf.toString("utf8", headEnd + 4, end);
        this.buf = buf.length === end ? null : buf.subarray(end);
        this.partialSince = 0;
        const slot: Slot = { bytes: null };
        this.slots.push(slot);
        let a: RawFrontAnswer | Promise<RawFrontAnswer> | null;
        try {
          a = o.handle({ headers, body, t0: performance.now() });
        } catch {
          a = null;
        }
        if (a instanceof Promise)
          a.then(
            (x) => this.answer(slot, x),
            () => this.answer(slot, null),
          );
        else this.answer(slot, a);
      }
    }

    answer(slot: Slot, a: RawFrontAnswer | null) {
      stats.answered++;
      if (a === null) {
        // handle() resolves every request; a rejection is a bug: drop the connection.
        this.socket.destroy();
        return;
      }
      slot.bytes = answerBytes(a);
      this.flush();
    }

    /** Writes the answers that are ready, in order, in one write. */
    flush() {
      let out: Buffer | null = null;
      let more: Buffer[] | null = null;
      while (this.slots.length > 0 && this.slots[0]!.bytes !== null) {
        const bytes = this.slots.shift()!.bytes!;
        if (out === null) out = bytes;
        else {
          more ??= [out];
          more.push(bytes);
        }
      }
      if (more !== null) out = Buffer.concat(more);
      if (out !== null && !this.dead) {
        this.lastActive = Date.now();
        this.socket.write(out);
        if (this.socket.writableLength > MAX_UNSENT) this.throttle();
      }
      if (this.throttled) this.unthrottle();
      if (this.slots.length > 0) return;
      if (this.handingOff) this.handOffNow();
      else if (this.closeAfter) this.socket.end();
    }

    throttle() {
      if (this.throttled) return;
      this.throttled = true;
      stats.throttled++;
      this.socket.pause();
    }

    /** Reads again once the client takes its answers and fewer are in progress. */
    unthrottle() {
      if (!this.throttled || this.dead || this.handingOff) return;
      if (this.slots.length >= MAX_IN_PROGRESS || this.socket.writableLength > MAX_UNSENT) return;
      this.throttled = false;
      this.socket.resume();
      this.parse();
    }

    /** From here on node:http reads this connection, once our answers are out. */
    handOff() {
      this.handingOff = true;
      this.socket.pause();
      if (this.slots.length === 0) this.handOffNow();
    }

    handOffNow() {
      if (this.dead) return;
      this.dead = true;
      conns.delete(this);
      stats.open--;
      stats.handedOff++;
      const s = this.socket;
      s.removeListener("data", this.onData);
      s.removeListener("end", this.onEnd);
      s.removeListener("close", this.onClose);
      s.removeListener("error", this.onError);
      s.removeListener("drain", this.onDrain);
      if (this.buf !== null && this.buf.length > 0) s.unshift(this.buf);
      this.buf = null;
      nodeConnection.call(server, s);
      s.resume();
    }

    /** The client half-closed: answer what was asked, then end. */
    finish() {
      if (this.dead || this.handingOff) return;
      this.closeAfter = true;
      if (this.slots.length === 0) this.socket.end();
    }

    gone() {
      if (this.dead) return;
      this.dead = true;
      conns.delete(this);
      stats.open--;
      this.socket.destroy();
    }
  }

  server.on("connection", (socket: Socket) => {
    stats.open++;
    conns.add(new Connection(socket));
  });

  // One sweep for every connection: a timer each would cost more than the check.
  const sweep = setInterval(
    () => {
      const now = Date.now();
      for (const c of conns) {
        if (c.slots.length > 0 || c.handingOff) continue;
        if (c.partialSince !== 0 && now - c.partialSince > o.requestTimeoutMs) {
          c.socket.end(
            "HTTP/1.1 408 Request Timeout\r\nconnection: close\r\ncontent-length: 0\r\n\r\n",
          );
          c.gone();
        } else if (c.partialSince === 0 && now - c.lastActive > o.keepAliveMs) c.gone();
      }
    },
    Math.min(1_000, o.requestTimeoutMs),
  );
  sweep.unref();
  server.once("close", () => clearInterval(sweep));

  const close = () => {
    closed = true;
    for (const c of conns) {
      if (c.slots.length === 0 && (c.buf === null || c.buf.length === 0)) c.gone();
      else c.closeAfter = true;
    }
  };
  // server.close() and Fastify's close end idle connections through these:
  // the front's connections are not node's to know.
  const closeIdle = server.closeIdleConnections.bind(server);
  server.closeIdleConnections = () => {
    close();
    closeIdle();
  };
  const closeAll = server.closeAllConnections.bind(server);
  server.closeAllConnections = () => {
    closed = true;
    for (const c of conns) c.gone();
    closeAll();
  };

  return { stats, close };
};
