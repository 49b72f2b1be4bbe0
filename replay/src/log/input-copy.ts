// A pair's matcher inputs streamed out of Postgres with COPY … TO STDOUT
// (FORMAT binary), only the columns a rebuild needs (ADR 085). The bytes of
// each socket read are split into rows in place: no row objects, no copies of
// payloads. The scan is cut into pages (keyset on the outbox order) so a
// reader that stops early (book at T) leaves at most one page unread, and
// every page runs in the caller's REPEATABLE READ snapshot.
import { escapeLiteral } from "pg";
import { to as copyTo } from "pg-copy-streams";
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
  const state = new RowSplitter();
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
    const stream = s.raw.query(copyTo(sql));
    const chunks = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    state.reset();
    let finished = false;
    try {
      for (;;) {
        const next = await chunks.next();
        if (next.done) break;
        const block = state.push(next.value);
        if (block.count > 0) yield block;
      }
      finished = true;
    } finally {
      // Stopped early: let the page's COPY run out so the connection stays usable.
      if (!finished) while (!(await chunks.next()).done) {}
    }
    state.finish();
    if (state.rows < pageRows) return;
    after = { xid: state.lastXid(), position: state.lastPosition };
  }
}

/** Splits a binary COPY stream into rows of (xid8, int8, bytea), carrying a partial row to the next chunk. */
class RowSplitter {
  rows = 0;
  lastPosition = 0;
  #lastXidHi = 0;
  #lastXidLo = 0;
  #headerDone = false;
  #trailer = false;
  #carry: Buffer | undefined;
  #start = new Int32Array(1024);
  #end = new Int32Array(1024);
  #position = new Float64Array(1024);

  reset(): void {
    this.rows = 0;
    this.#headerDone = false;
    this.#trailer = false;
    this.#carry = undefined;
  }

  lastXid(): bigint {
    return (BigInt(this.#lastXidHi) << 32n) | BigInt(this.#lastXidLo);
  }

  finish(): void {
    if (!this.#trailer || (this.#carry !== undefined && this.#carry.length > 0)) {
      throw new Error("COPY stream ended inside a row");
    }
  }

  push(chunk: Buffer): InputBlock {
    const buf = this.#carry === undefined ? chunk : Buffer.concat([this.#carry, chunk]);
    this.#carry = undefined;
    let p = 0;
    if (!this.#headerDone) {
      if (buf.length < 19) {
        this.#carry = buf;
        return this.#block(buf, 0);
      }
      if (!buf.subarray(0, 11).equals(SIGNATURE)) throw new Error("not a binary COPY stream");
      p = 19 + buf.readInt32BE(15);
      this.#headerDone = true;
    }
    let n = 0;
    const len = buf.length;
    for (;;) {
      if (p + 2 > len) break;
      const fields = buf.readInt16BE(p);
      if (fields === -1) {
        this.#trailer = true;
        p += 2;
        break;
      }
      // 2 + (4 + 8) + (4 + 8) + 4 bytes before the payload.
      if (p + 30 > len) break;
      if (fields !== 3 || buf.readInt32BE(p + 2) !== 8 || buf.readInt32BE(p + 14) !== 8) {
        throw new Error("unexpected COPY row layout");
      }
      const size = buf.readInt32BE(p + 26);
      if (size < 0) throw new Error("NULL payload in the event store");
      if (p + 30 + size > len) break;
      if (n === this.#start.length) this.#grow();
      this.#lastXidHi = buf.readUInt32BE(p + 6);
      this.#lastXidLo = buf.readUInt32BE(p + 10);
      this.#position[n] = buf.readUInt32BE(p + 18) * TWO32 + buf.readUInt32BE(p + 22);
      this.#start[n] = p + 30;
      this.#end[n] = p + 30 + size;
      n++;
      p += 30 + size;
    }
    if (p < len) this.#carry = buf.subarray(p);
    this.rows += n;
    if (n > 0) this.lastPosition = this.#position[n - 1]!;
    return this.#block(buf, n);
  }

  #block(buf: Buffer, count: number): InputBlock {
    return { buf, count, start: this.#start, end: this.#end, position: this.#position };
  }

  #grow(): void {
    const grow = <T extends Int32Array | Float64Array>(a: T, make: (n: number) => T): T => {
      const b = make(a.length * 2);
      b.set(a);
      return b;
    };
    this.#start = grow(this.#start, (k) => new Int32Array(k));
    this.#end = grow(this.#end, (k) => new Int32Array(k));
    this.#position = grow(this.#position, (k) => new Float64Array(k));
  }
}
