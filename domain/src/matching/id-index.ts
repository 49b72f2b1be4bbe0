// id → slot, by open addressing over one typed array of [hash, slot] pairs
// (ADR 030). The key strings are not stored: a candidate is confirmed against
// the owner's own array, ids[slot × stride], and removal of a known slot
// matches on (hash, slot) without touching any string. Used for the book's
// live orders (stride 3: orderId, clOrdId, account per slot) and for the
// terminal-id generations (stride 1).

const EMPTY = -1;

export class IdIndex {
  /** slots[2i] = hash, slots[2i + 1] = order slot or EMPTY. */
  private table = new Int32Array(0);
  private mask = 0;
  private readonly stride: number;
  size = 0;

  constructor(expected = 16, stride = 3) {
    this.stride = stride;
    let cap = 16;
    while (cap < expected * 2) cap *= 2;
    this.table = emptyTable(cap);
    this.mask = cap - 1;
  }

  /** Slot holding this id, or -1 (ids[stride × slot] holds each slot's id). */
  find(key: string, h: number, ids: readonly string[]): number {
    const t = this.table;
    const mask = this.mask;
    const stride = this.stride;
    let i = h & mask;
    for (;;) {
      const s = t[2 * i + 1]!;
      if (s === EMPTY) return EMPTY;
      if (t[2 * i] === h && ids[s * stride] === key) return s;
      i = (i + 1) & mask;
    }
  }

  /** Adds a slot whose id is known not to be present. */
  insert(h: number, slot: number): void {
    if ((this.size + 1) * 2 > this.table.length >> 1) this.grow();
    const t = this.table;
    const mask = this.mask;
    let i = h & mask;
    while (t[2 * i + 1] !== EMPTY) i = (i + 1) & mask;
    t[2 * i] = h;
    t[2 * i + 1] = slot;
    this.size++;
  }

  /** Removes the entry (h, slot); backward-shift deletion, no tombstones. */
  remove(h: number, slot: number): void {
    const t = this.table;
    const mask = this.mask;
    let i = h & mask;
    for (;;) {
      const s = t[2 * i + 1]!;
      if (s === EMPTY) return;
      if (s === slot) break;
      i = (i + 1) & mask;
    }
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      if (t[2 * j + 1] === EMPTY) break;
      const home = t[2 * j]! & mask;
      const stays = i <= j ? i < home && home <= j : i < home || home <= j;
      if (stays) continue;
      t[2 * i] = t[2 * j]!;
      t[2 * i + 1] = t[2 * j + 1]!;
      i = j;
    }
    t[2 * i + 1] = EMPTY;
    this.size--;
  }

  /** Empties the index, keeping its capacity. */
  clear(): void {
    if (this.size === 0) return;
    const t = this.table;
    for (let i = 1; i < t.length; i += 2) t[i] = EMPTY;
    this.size = 0;
  }

  private grow(): void {
    const old = this.table;
    const cap = old.length; // doubles the bucket count (old.length = 2 × buckets)
    const t = emptyTable(cap);
    const mask = cap - 1;
    for (let k = 1; k < old.length; k += 2) {
      const s = old[k]!;
      if (s === EMPTY) continue;
      const h = old[k - 1]!;
      let i = h & mask;
      while (t[2 * i + 1] !== EMPTY) i = (i + 1) & mask;
      t[2 * i] = h;
      t[2 * i + 1] = s;
    }
    this.table = t;
    this.mask = mask;
  }
}

function emptyTable(buckets: number): Int32Array<ArrayBuffer> {
  const t = new Int32Array(buckets * 2);
  for (let i = 1; i < t.length; i += 2) t[i] = EMPTY;
  return t;
}
