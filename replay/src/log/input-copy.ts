// A pair's matcher inputs streamed out of Postgres with COPY … TO STDOUT
// (FORMAT binary), only the columns a rebuild needs (ADR 085). The bytes of
// each socket read are split into rows in place: no row objects, no copies of
// payloads. The scan is cut into pages (keyset on the outbox order) so a
// reader that stops early (book at T) leaves at most one page unread, and
// every page runs in the caller's REPEATABLE READ snapshot.
import { escapeLiteral } from "pg";
import { OUTBOX_LANES } from "@fxcore/event-store";
import type { ReadSession } from "./read-session.ts";

/** Command-side event types the matcher consumes (the relay also publishes command-side rejects; the matcher skips them). */
export const MATCHER_INPUT_TYPES = [
  "OrderAccepted",
  "OrderCancelRequested",
  "OrderReplaceRequested",
  "TimeAdvanced",
] as const;

/**
 * Rows of one socket read. Row i: the payload is `buf[start[i], end[i])`,
 * its global position `position[i]`. Valid until the next block is asked for.
 */
export interface InputBlock {
  readonly buf: Buffer;
  readonly count: number;
  readonly start: Int32Array;
  readonly end: Int32Array;
  readonly position: Float64Array;
}

const SIGNATURE = Buffer.from("PGCOPY\n\xff\r\n\0", "latin1");
const TWO32 = 2 ** 32;

/**
 * The pair's inputs in the order the matcher consumed them: outbox rows of the
 * pair's key below the gap-safe watermark, in `(transaction_id, global_position)`
 * order, joined to their events. The join carries both key columns so the
 * planner may walk `es_events` in log order (merge join) when the pair is a
 * large share of the log, or look rows up by position when it is not.
 */
export async function* pairInputBlocks(
  s: ReadSession,
  pair: string,
  pageRows = 200_000,
): AsyncGenerator<InputBlock> {
  const key = escapeLiteral(pair);
  const types = MATCHER_INPUT_TYPES.map((t) => escapeLiteral(t)).join(", ");
  let after: { xid: bigint; position: number } | undefined;
  for (;;) {
    // Keyset: rows after the last one of the previous page. The plain `>=` bounds
    // are what the planner can estimate; the exact cut is the filter after them.
    const page =
      after === undefined
        ? ""
        : `AND o.transaction_id >= '${after.xid}'::xid8 AND e.transaction_id >= '${after.xid}'::xid8
           AND (o.transaction_id > '${after.xid}'::xid8 OR o.global_position > ${after.position})`;
    const sql = `COPY (
      SELECT o.transaction_id, o.global_position, e.payload
      FROM es_outbox o
      JOIN es_events e ON e.transaction_id = o.transaction_id AND e.global_position = o.global_position
      WHERE o.lane = (hashtextextended(${key}, 0) & ${OUTBOX_LANES - 1})::smallint AND o.message_key = ${key}
        AND o.transaction_id < pg_snapshot_xmin(pg_current_snapshot())
        AND e.event_type IN (${types}) ${page}
      ORDER BY o.lane, o.transaction_id, o.global_position
      LIMIT ${pageRows}) TO STDOUT (FORMAT binary)`;
    const copy = new CopyOutRows(sql);
    s.raw.query(copy);
    let finished = false;
    try {
      for (;;) {
        const block = await copy.next();
        if (block === null) break;
        if (block.count > 0) yield block;
      }
      finished = true;
    } finally {
      // Stopped early: let the page's COPY run out so the connection stays usable.
      if (!finished) while ((await copy.next()) !== null) {}
    }
    if (copy.rows < pageRows) return;
    after = { xid: copy.lastXid(), position: copy.lastPosition };
  }
}

const CODE_COPY_DATA = 0x64; // 'd'
const CODE_COPY_OUT = 0x48; // 'H'
const CODE_COPY_DONE = 0x63; // 'c'
const CODE_NOTICE = 0x4e; // 'N'
const CODE_PARAMETER = 0x53; // 'S'

/**
 * A binary COPY TO STDOUT of (xid8, int8, bytea) rows, read straight off the
 * connection's socket: the protocol's CopyData messages (one per row) are
 * split in place into row offsets, with no Buffer per message. On the first
 * message that is not COPY data (CommandComplete, an error) the socket goes
 * back to pg's own parser, which completes or fails the query as usual.
 * Submitted with `client.query(copy)`; `next()` yields blocks until null.
 */
export class CopyOutRows {
  readonly text: string;
  rows = 0;
  lastPosition = 0;
  #xidHi = 0;
  #xidLo = 0;
  #headerDone = false;
  #trailer = false;
  #carry: Buffer | undefined;
  #queue: InputBlock[] = [];
  #handedOut: InputBlock | undefined;
  /** Offset arrays of consumed blocks, reused (no typed-array allocation per socket read). */
  #spare: InputBlock[] = [];
  #done = false;
  #error: Error | undefined;
  #wake: (() => void) | undefined;
  #stream: NodeJS.ReadableStream | undefined;
  #pgOnData: ((b: Buffer) => void) | undefined;
  #onData = (chunk: Buffer) => this.#receive(chunk);

  constructor(text: string) {
    this.text = text;
  }

  // ---- pg's Submittable ----
  submit(connection: { stream: NodeJS.ReadableStream; query(text: string): void }): void {
    const stream = connection.stream;
    const listeners = stream.listeners("data") as ((b: Buffer) => void)[];
    if (listeners.length !== 1) throw new Error("unexpected listeners on the pg socket");
    this.#stream = stream;
    this.#pgOnData = listeners[0];
    stream.removeListener("data", this.#pgOnData!);
    stream.on("data", this.#onData);
    connection.query(this.text);
  }
  handleError(err: Error): void {
    this.#error ??= err;
    this.#notify();
  }
  handleCommandComplete(): void {}
  /** COPY data pg's parser sees after we handed the socket back on a failure: dropped. */
  handleCopyData(): void {}
  handleReadyForQuery(): void {
    this.#done = true;
    this.#notify();
  }

  lastXid(): bigint {
    return (BigInt(this.#xidHi >>> 0) << 32n) | BigInt(this.#xidLo >>> 0);
  }

  /** The next block of rows; null when the COPY has completed. */
  async next(): Promise<InputBlock | null> {
    // The block handed out before is done with (InputBlock's contract): reuse its arrays.
    if (this.#handedOut !== undefined) this.#spare.push(this.#handedOut);
    this.#handedOut = undefined;
    for (;;) {
      const block = this.#queue.shift();
      if (block !== undefined) {
        if (this.#queue.length < 2) this.#stream?.resume();
        this.#handedOut = block;
        return block;
      }
      if (this.#error !== undefined) throw this.#error;
      if (this.#done) {
        if (!this.#trailer) throw new Error("COPY ended without its trailer");
        return null;
      }
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    }
  }

  #notify(): void {
    const w = this.#wake;
    this.#wake = undefined;
    w?.();
  }

  #receive(chunk: Buffer): void {
    let buf = chunk;
    const carry = this.#carry;
    this.#carry = undefined;
    if (carry !== undefined) {
      const need = carry.length >= 5 ? 1 + carry.readInt32BE(1) - carry.length : -1;
      if (need > 0 && chunk.length >= need) {
        // Complete only the message that straddles the reads; the rest stays a view.
        const first = Buffer.concat([carry, chunk.subarray(0, need)]);
        if (!this.#parse(first)) {
          this.#pgOnData!(chunk.subarray(need));
          this.#notify();
          return;
        }
        buf = chunk.subarray(need);
      } else {
        buf = Buffer.concat([carry, chunk]);
      }
    }
    this.#parse(buf);
    if (this.#queue.length >= 4) this.#stream?.pause();
    this.#notify();
  }

  /** Parses whole messages of `buf`; false once the socket went back to pg (end of COPY, an error, bytes we cannot read). */
  #parse(buf: Buffer): boolean {
    try {
      return this.#parseMessages(buf);
    } catch (e) {
      // Our reading failed: pg's parser takes the rest of the response (it skips COPY data).
      this.#error = e as Error;
      this.#handBack(buf.subarray(this.#at));
      return false;
    }
  }

  #at = 0;

  #parseMessages(buf: Buffer): boolean {
    const len = buf.length;
    const spare = this.#spare.pop();
    let start = spare?.start ?? new Int32Array(512);
    let end = spare?.end ?? new Int32Array(512);
    let position = spare?.position ?? new Float64Array(512);
    let n = 0;
    let p = 0;
    let handedBack = false;
    while (p + 5 <= len) {
      this.#at = p;
      const code = buf[p]!;
      const total = 1 + buf.readInt32BE(p + 1);
      if (
        code !== CODE_COPY_DATA &&
        code !== CODE_COPY_OUT &&
        code !== CODE_COPY_DONE &&
        code !== CODE_NOTICE &&
        code !== CODE_PARAMETER
      ) {
        this.#handBack(buf.subarray(p));
        handedBack = true;
        p = len;
        break;
      }
      if (p + total > len) break;
      if (code === CODE_COPY_DATA) {
        let q = p + 5;
        const bodyEnd = p + total;
        if (!this.#headerDone) {
          if (!buf.subarray(q, q + 11).equals(SIGNATURE))
            throw new Error("not a binary COPY stream");
          q += 19 + buf.readInt32BE(q + 15);
          this.#headerDone = true;
        }
        if (q < bodyEnd) {
          const fields = buf.readInt16BE(q);
          if (fields === -1) this.#trailer = true;
          else {
            // 2 + (4 + 8) + (4 + 8) + 4 bytes before the payload.
            if (fields !== 3 || buf.readInt32BE(q + 2) !== 8 || buf.readInt32BE(q + 14) !== 8) {
              throw new Error("unexpected COPY row layout");
            }
            const size = buf.readInt32BE(q + 26);
            if (size < 0 || q + 30 + size !== bodyEnd) throw new Error("malformed COPY row");
            if (n === start.length) {
              start = grow(start, new Int32Array(n * 2));
              end = grow(end, new Int32Array(n * 2));
              position = grow(position, new Float64Array(n * 2));
            }
            this.#xidHi = buf.readInt32BE(q + 6);
            this.#xidLo = buf.readInt32BE(q + 10);
            position[n] = buf.readUInt32BE(q + 18) * TWO32 + buf.readUInt32BE(q + 22);
            start[n] = q + 30;
            end[n] = bodyEnd;
            n++;
          }
        }
      }
      p += total;
    }
    if (!handedBack && p < len) this.#carry = buf.subarray(p);
    if (n > 0) {
      this.rows += n;
      this.lastPosition = position[n - 1]!;
      this.#queue.push({ buf, count: n, start, end, position });
    } else {
      this.#spare.push({ buf, count: 0, start, end, position });
    }
    return !handedBack;
  }

  /** The rest of the response (CommandComplete, ReadyForQuery, or an error) goes to pg's parser. */
  #handBack(rest: Buffer): void {
    const stream = this.#stream!;
    stream.removeListener("data", this.#onData);
    stream.on("data", this.#pgOnData!);
    this.#pgOnData!(rest);
    process.nextTick(() => stream.resume());
  }
}

const grow = <T extends Int32Array | Float64Array>(from: T, to: T): T => {
  to.set(from);
  return to;
};
