// The resting side of one pair's book, laid out for speed (ADR 030).
//
// Orders live in struct-of-arrays "slots" (typed arrays indexed by an internal
// slot number, recycled through a free list), linked into an intrusive doubly
// linked FIFO per price level: append, unlink and cancel are O(1) and nothing
// is re-indexed when an order leaves a level. Levels are slots too. Each side
// keeps its level ids sorted by a key (price for bids, −price for asks) in
// ascending order, so the best level is always the last element: O(1) best,
// and creating/removing a level near the touch shifts only a few entries.
//
// This class knows nothing about matching rules; the engine drives it.

import { IdIndex } from "./id-index.ts";

export const NIL = -1;
/** Flag bit: the slot has an expireTime (kept in a side map). */
const HAS_EXPIRE = 128;
export const BUY = 0;
export const SELL = 1;

const INITIAL_ORDERS = 1024;
/** Bytes per order record: 4 int32 then 4 float64 (see I and F). */
const ORDER_BYTES = 48;
const INITIAL_LEVELS = 256;

export class OrderBook {
  // ---- order slots ----
  orderCap = 0;
  // One 48-byte record per order in one buffer, seen through two views, so
  // the ints and the numbers of an order share its cache line(s): a fill or a
  // cancel of a random resting order costs one or two misses, not three.
  /**
   * I[12o..12o+3] (bytes 0–15): next, prev, level (NIL when not resting: free,
   * or an aggressor in flight), flags = side | tif << 1 | stp << 4 |
   * postOnly << 6 | hasExpire << 7.
   */
  I = new Int32Array(0);
  /**
   * F[6o+2..6o+5] (bytes 16–47): qty, cumQty, priority, hashString(orderId)
   * (computed once on arrival).
   */
  F = new Float64Array(0);
  /** R[3o..3o+2]: orderId, clOrdId, account. */
  R: string[] = [];
  /** expireTime by slot, only for orders that have one (flag bit 7): GTC books pay nothing. */
  private readonly expireTimes = new Map<number, bigint>();
  private freeOrders = new Int32Array(0);
  private freeOrderTop = 0;
  private orderHigh = 0;
  liveOrders = 0;

  // ---- levels ----
  levelCap = 0;
  lvPrice = new Float64Array(0);
  lvHead = new Int32Array(0);
  lvTail = new Int32Array(0);
  lvQty = new Float64Array(0);
  lvCount = new Int32Array(0);
  private freeLevels = new Int32Array(0);
  private freeLevelTop = 0;
  private levelHigh = 0;

  // ---- sorted sides: ascending keys, best level last ----
  readonly keys: Float64Array[] = [new Float64Array(64), new Float64Array(64)];
  readonly levels: Int32Array[] = [new Int32Array(64), new Int32Array(64)];
  readonly len = new Int32Array(2);

  /** orderId → slot, live orders only: small and cache-friendly (terminal ids live elsewhere). */
  readonly index: IdIndex;

  constructor(initialOrders = INITIAL_ORDERS) {
    this.index = new IdIndex(initialOrders);
    this.growOrders(Math.max(16, initialOrders));
    this.growLevels(INITIAL_LEVELS);
  }

  // ---- slots ----

  allocOrder(): number {
    if (this.freeOrderTop > 0) return this.freeOrders[--this.freeOrderTop]!;
    if (this.orderHigh === this.orderCap) this.growOrders(this.orderCap * 2);
    return this.orderHigh++;
  }

  freeOrder(o: number): void {
    this.I[o * 12 + 2] = NIL;
    // Drop string references so a freed slot pins nothing.
    this.R[o * 3] = "";
    this.R[o * 3 + 1] = "";
    this.R[o * 3 + 2] = "";
    if ((this.I[o * 12 + 3]! & HAS_EXPIRE) !== 0) this.expireTimes.delete(o);
    this.freeOrders[this.freeOrderTop++] = o;
  }

  private growOrders(cap: number): void {
    const old = this.orderCap;
    const buf = new ArrayBuffer(cap * ORDER_BYTES);
    new Uint8Array(buf).set(new Uint8Array(this.I.buffer, 0, old * ORDER_BYTES));
    this.I = new Int32Array(buf);
    this.F = new Float64Array(buf);
    this.freeOrders = grow32(this.freeOrders, cap);
    // Exact-size reference arrays (push would over-allocate by half again).
    const R = new Array<string>(cap * 3).fill("");
    for (let i = 0; i < old * 3; i++) R[i] = this.R[i]!;
    this.R = R;
    for (let i = old; i < cap; i++) this.I[i * 12 + 2] = NIL;
    this.orderCap = cap;
  }

  private allocLevel(price: number): number {
    let lv: number;
    if (this.freeLevelTop > 0) lv = this.freeLevels[--this.freeLevelTop]!;
    else {
      if (this.levelHigh === this.levelCap) this.growLevels(this.levelCap * 2);
      lv = this.levelHigh++;
    }
    this.lvPrice[lv] = price;
    this.lvHead[lv] = NIL;
    this.lvTail[lv] = NIL;
    this.lvQty[lv] = 0;
    this.lvCount[lv] = 0;
    return lv;
  }

  private growLevels(cap: number): void {
    this.lvPrice = grow64(this.lvPrice, cap);
    this.lvHead = grow32(this.lvHead, cap);
    this.lvTail = grow32(this.lvTail, cap);
    this.lvQty = grow64(this.lvQty, cap);
    this.lvCount = grow32(this.lvCount, cap);
    this.freeLevels = grow32(this.freeLevels, cap);
    this.levelCap = cap;
  }

  // ---- sides ----

  /** Best level of a side, or NIL. */
  best(side: number): number {
    const n = this.len[side]!;
    return n === 0 ? NIL : this.levels[side]![n - 1]!;
  }

  /** The i-th best level (0 = best), or NIL. */
  levelAt(side: number, i: number): number {
    const n = this.len[side]!;
    return i < n ? this.levels[side]![n - 1 - i]! : NIL;
  }

  /** Call after the slot's flags are written (it sets the has-expire bit). */
  setExpire(o: number, t: bigint | null): void {
    if (t === null) return;
    this.I[o * 12 + 3] = this.I[o * 12 + 3]! | HAS_EXPIRE;
    this.expireTimes.set(o, t);
  }

  expireOf(o: number): bigint | null {
    return (this.I[o * 12 + 3]! & HAS_EXPIRE) === 0 ? null : (this.expireTimes.get(o) ?? null);
  }

  /** Live order with this id (hash = hashString(id)), or NIL. */
  find(id: string, h: number): number {
    return this.index.find(id, h, this.R);
  }

  /** Appends a slot (fields already set) to the back of its price level. */
  link(o: number, price: number): void {
    const side = this.I[o * 12 + 3]! & 1;
    const lv = this.levelFor(side, price);
    const tail = this.lvTail[lv]!;
    this.I[o * 12 + 1] = tail;
    this.I[o * 12] = NIL;
    if (tail === NIL) this.lvHead[lv] = o;
    else this.I[tail * 12] = o;
    this.lvTail[lv] = o;
    this.lvCount[lv] = this.lvCount[lv]! + 1;
    this.lvQty[lv] = this.lvQty[lv]! + this.F[o * 6 + 2]! - this.F[o * 6 + 3]!;
    this.I[o * 12 + 2] = lv;
    this.liveOrders++;
  }

  /** Removes a resting order from its level (dropping the level when it empties). Slot stays allocated. */
  unlink(o: number): void {
    const lv = this.I[o * 12 + 2]!;
    const p = this.I[o * 12 + 1]!;
    const n = this.I[o * 12]!;
    if (p === NIL) this.lvHead[lv] = n;
    else this.I[p * 12] = n;
    if (n === NIL) this.lvTail[lv] = p;
    else this.I[n * 12 + 1] = p;
    this.lvQty[lv] = this.lvQty[lv]! - (this.F[o * 6 + 2]! - this.F[o * 6 + 3]!);
    this.I[o * 12 + 2] = NIL;
    this.liveOrders--;
    const left = this.lvCount[lv]! - 1;
    this.lvCount[lv] = left;
    if (left === 0) this.removeLevel(this.I[o * 12 + 3]! & 1, lv);
  }

  /**
   * The level at `price`, created if missing. Found in the sorted side array
   * itself: new orders land near the touch, so a short scan from the best end
   * usually finds the spot; deeper prices take a binary search. A Map from
   * price to level cost more than both (hashing, and an insert/delete per
   * level created and emptied).
   */
  private levelFor(side: number, price: number): number {
    const key = side === BUY ? price : -price;
    let keys = this.keys[side]!;
    const n = this.len[side]!;
    let i = n;
    if (n > 16 && keys[n - 16]! > key) i = upperBound(keys, key, n);
    else while (i > 0 && keys[i - 1]! > key) i--;
    // keys[i - 1] <= key < keys[i]: an existing level sits at i - 1.
    if (i > 0 && keys[i - 1] === key) return this.levels[side]![i - 1]!;
    const lv = this.allocLevel(price);
    let levels = this.levels[side]!;
    if (n === keys.length) {
      keys = grow64(keys, n * 2);
      levels = grow32(levels, n * 2);
      this.keys[side] = keys;
      this.levels[side] = levels;
    }
    if (i < n) {
      keys.copyWithin(i + 1, i, n);
      levels.copyWithin(i + 1, i, n);
    }
    keys[i] = key;
    levels[i] = lv;
    this.len[side] = n + 1;
    return lv;
  }

  private removeLevel(side: number, lv: number): void {
    const price = this.lvPrice[lv]!;
    const keys = this.keys[side]!;
    const levels = this.levels[side]!;
    const n = this.len[side]!;
    if (levels[n - 1] !== lv) {
      const i = upperBound(keys, side === BUY ? price : -price, n) - 1;
      keys.copyWithin(i, i + 1, n);
      levels.copyWithin(i, i + 1, n);
    }
    this.len[side] = n - 1;
    this.freeLevels[this.freeLevelTop++] = lv;
  }
}

/** First index in keys[0..n) whose key is greater than `key`. */
function upperBound(keys: Float64Array, key: number, n: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]! <= key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function grow64(a: Float64Array, cap: number): Float64Array<ArrayBuffer> {
  const b = new Float64Array(cap);
  b.set(a.subarray(0, Math.min(a.length, cap)));
  return b;
}
function grow32(a: Int32Array, cap: number): Int32Array<ArrayBuffer> {
  const b = new Int32Array(cap);
  b.set(a.subarray(0, Math.min(a.length, cap)));
  return b;
}
