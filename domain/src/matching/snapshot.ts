// Versioned binary snapshot of a book, and the state hash over it (ADR 033).
//
// The encoding is canonical: resting orders in priority order (bids best to
// worst, then asks, FIFO within a level), the ids of terminal orders sorted,
// so two engines in the same state encode to the same bytes whatever their
// internal slot layout. The state hash is SHA-256 of those bytes.
// The ids of terminal orders are kept per generation (see terminal-ids.ts),
// each sorted.
//
// Layout, little-endian (v1):
//   "FXMB" u16 version  str symbol  f64 seq  f64 nextPrio
//   u32 nOrders, each: str orderId str clOrdId str account u8 side u8 tif u8 stp
//     u8 postOnly f64 price f64 qty f64 cumQty f64 prio u8 hasExpire i64 expireTime
//   u32 terminalGeneration  u32 nPrevious, str each  u32 nCurrent, str each
// where str = u32 byte length + UTF-8.

import { createHash } from "node:crypto";

export const SNAPSHOT_MAGIC = "FXMB";
export const SNAPSHOT_VERSION = 1;

export interface SnapshotOrder {
  readonly orderId: string;
  readonly clOrdId: string;
  readonly account: string;
  /** 0 buy, 1 sell. */
  readonly side: number;
  /** FIX TimeInForce code. */
  readonly tif: number;
  readonly stp: number;
  readonly postOnly: boolean;
  readonly price: number;
  readonly qty: number;
  readonly cumQty: number;
  readonly prio: number;
  readonly expireTime: bigint | null;
}

export interface SnapshotState {
  readonly symbol: string;
  readonly seq: number;
  readonly nextPrio: number;
  readonly orders: readonly SnapshotOrder[];
  /** Size of a generation of remembered terminal ids. */
  readonly terminalGeneration: number;
  /** Terminal ids of the previous and the current generation, any order: encoding sorts them. */
  readonly terminalPrevious: readonly string[];
  readonly terminalCurrent: readonly string[];
}

export type SnapshotError =
  | { readonly kind: "BAD_MAGIC" }
  | { readonly kind: "UNSUPPORTED_VERSION"; readonly version: number }
  | { readonly kind: "TRUNCATED" }
  | { readonly kind: "TRAILING_BYTES" }
  | { readonly kind: "MALFORMED"; readonly detail: string }
  | { readonly kind: "SYMBOL_MISMATCH"; readonly expected: string; readonly actual: string };

const utf8 = new TextEncoder();
const utf8d = new TextDecoder("utf-8", { fatal: true });

/**
 * Appends snapshot bytes (the v1 layout above) part by part. encodeSnapshot
 * and the engine's own snapshot (written straight from its book, no
 * SnapshotOrder objects) both go through it, so they write the same bytes.
 */
export class SnapshotWriter {
  private buf: Uint8Array;
  private view: DataView;
  private pos = 0;
  private ordersAt = -1;

  constructor(capacity = 4096) {
    this.buf = new Uint8Array(Math.max(64, capacity));
    this.view = new DataView(this.buf.buffer);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.pos + n) cap *= 2;
    const b = new Uint8Array(cap);
    b.set(this.buf.subarray(0, this.pos));
    this.buf = b;
    this.view = new DataView(b.buffer);
  }

  /** Magic, version, symbol, seq, nextPrio and the number of orders that follow. */
  header(symbol: string, seq: number, nextPrio: number, orders: number): void {
    this.ensure(4 + 2 + 4 + symbol.length * 3 + 8 + 8 + 4);
    for (let i = 0; i < 4; i++) this.buf[this.pos++] = SNAPSHOT_MAGIC.charCodeAt(i);
    this.view.setUint16(this.pos, SNAPSHOT_VERSION, true);
    this.pos += 2;
    this.str(symbol);
    this.f64(seq);
    this.f64(nextPrio);
    this.ordersAt = this.pos;
    this.u32(orders);
  }

  /** Overwrites the header's number of orders (a writer that counts as it goes). */
  orderCount(n: number): void {
    this.view.setUint32(this.ordersAt, n, true);
  }

  /** One resting order (the caller writes them in priority order). */
  order(
    orderId: string,
    clOrdId: string,
    account: string,
    side: number,
    tif: number,
    stp: number,
    postOnly: boolean,
    price: number,
    qty: number,
    cumQty: number,
    prio: number,
    expireTime: bigint | null,
  ): void {
    // One bound for the whole order: 3 length-prefixed strings, 4 + 1 bytes, 5 eight-byte numbers.
    this.ensure(12 + 3 * (orderId.length + clOrdId.length + account.length) + 5 + 40);
    this.str(orderId);
    this.str(clOrdId);
    this.str(account);
    const buf = this.buf;
    let p = this.pos;
    buf[p] = side;
    buf[p + 1] = tif;
    buf[p + 2] = stp;
    buf[p + 3] = postOnly ? 1 : 0;
    this.pos = p + 4;
    this.f64(price);
    this.f64(qty);
    this.f64(cumQty);
    this.f64(prio);
    p = this.pos;
    buf[p] = expireTime === null ? 0 : 1;
    this.view.setBigInt64(p + 1, expireTime ?? 0n, true);
    this.pos = p + 9;
  }

  /**
   * The terminal-id generations, each sorted by code unit (canonical
   * everywhere; the default sort of strings is that order, compared inside
   * V8: no JS call per compare). `owned`: the arrays are the caller's copies
   * and are sorted in place.
   */
  terminal(
    generation: number,
    previous: readonly string[],
    current: readonly string[],
    owned = false,
  ): void {
    this.ensure(4);
    this.u32(generation);
    for (const ids of [previous, current]) {
      const sorted = owned ? (ids as string[]).sort() : [...ids].sort();
      this.ensure(4);
      this.u32(sorted.length);
      for (const id of sorted) {
        this.ensure(4 + id.length * 3);
        this.str(id);
      }
    }
  }

  /** A copy of the bytes written. */
  bytes(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }

  /** The bytes written, without a copy (valid until the next write). */
  written(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }

  // The writes below assume ensure() was called for them.
  private u32(v: number): void {
    this.view.setUint32(this.pos, v, true);
    this.pos += 4;
  }
  private f64(v: number): void {
    this.view.setFloat64(this.pos, v, true);
    this.pos += 8;
  }
  /** Straight into the buffer (ids are short ASCII): no intermediate array per string. Needs 4 + 3 × length bytes. */
  private str(s: string): void {
    const len = s.length;
    const start = this.pos + 4;
    const buf = this.buf;
    let i = 0;
    for (; i < len; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) break;
      buf[start + i] = c;
    }
    const n = i === len ? len : utf8.encodeInto(s, buf.subarray(start, start + len * 3)).written;
    this.view.setUint32(this.pos, n, true);
    this.pos = start + n;
  }
}

class Truncated extends Error {}

class Reader {
  private readonly buf: Uint8Array;
  private readonly view: DataView;
  pos = 0;
  constructor(buf: Uint8Array) {
    this.buf = buf;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  private need(n: number): void {
    if (this.pos + n > this.buf.length) throw new Truncated();
  }
  get remaining(): number {
    return this.buf.length - this.pos;
  }
  u8(): number {
    this.need(1);
    return this.view.getUint8(this.pos++);
  }
  u16(): number {
    this.need(2);
    const v = this.view.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }
  f64(): number {
    this.need(8);
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }
  i64(): bigint {
    this.need(8);
    const v = this.view.getBigInt64(this.pos, true);
    this.pos += 8;
    return v;
  }
  str(): string {
    const n = this.u32();
    this.need(n);
    const s = utf8d.decode(this.buf.subarray(this.pos, this.pos + n));
    this.pos += n;
    return s;
  }
}

export function encodeSnapshot(state: SnapshotState): Uint8Array {
  const w = new SnapshotWriter();
  w.header(state.symbol, state.seq, state.nextPrio, state.orders.length);
  for (const o of state.orders) {
    w.order(
      o.orderId,
      o.clOrdId,
      o.account,
      o.side,
      o.tif,
      o.stp,
      o.postOnly,
      o.price,
      o.qty,
      o.cumQty,
      o.prio,
      o.expireTime,
    );
  }
  w.terminal(state.terminalGeneration, state.terminalPrevious, state.terminalCurrent);
  return w.bytes();
}

export function decodeSnapshot(
  bytes: Uint8Array,
): { ok: true; value: SnapshotState } | { ok: false; error: SnapshotError } {
  const r = new Reader(bytes);
  try {
    let magic = "";
    for (let i = 0; i < 4; i++) magic += String.fromCharCode(r.u8());
    if (magic !== SNAPSHOT_MAGIC) return { ok: false, error: { kind: "BAD_MAGIC" } };
    const version = r.u16();
    if (version !== SNAPSHOT_VERSION) {
      return { ok: false, error: { kind: "UNSUPPORTED_VERSION", version } };
    }
    const symbol = r.str();
    const seq = r.f64();
    const nextPrio = r.f64();
    const n = r.u32();
    const orders: SnapshotOrder[] = [];
    for (let i = 0; i < n; i++) {
      const orderId = r.str();
      const clOrdId = r.str();
      const account = r.str();
      const side = r.u8();
      const tif = r.u8();
      const stp = r.u8();
      const postOnly = r.u8() === 1;
      const price = r.f64();
      const qty = r.f64();
      const cumQty = r.f64();
      const prio = r.f64();
      const hasExpire = r.u8() === 1;
      const exp = r.i64();
      orders.push({
        orderId,
        clOrdId,
        account,
        side,
        tif,
        stp,
        postOnly,
        price,
        qty,
        cumQty,
        prio,
        expireTime: hasExpire ? exp : null,
      });
    }
    const terminalGeneration = r.u32();
    const gens: string[][] = [];
    for (let g = 0; g < 2; g++) {
      const n = r.u32();
      const ids: string[] = [];
      for (let i = 0; i < n; i++) ids.push(r.str());
      gens.push(ids);
    }
    if (r.remaining !== 0) return { ok: false, error: { kind: "TRAILING_BYTES" } };
    return {
      ok: true,
      value: {
        symbol,
        seq,
        nextPrio,
        orders,
        terminalGeneration,
        terminalPrevious: gens[0]!,
        terminalCurrent: gens[1]!,
      },
    };
  } catch (e) {
    if (e instanceof Truncated) return { ok: false, error: { kind: "TRUNCATED" } };
    if (e instanceof TypeError) {
      return { ok: false, error: { kind: "MALFORMED", detail: "invalid UTF-8 string" } };
    }
    throw e;
  }
}

/** SHA-256 (hex) of snapshot bytes: the state hash. */
export function hashSnapshot(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}
