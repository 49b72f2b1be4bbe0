// Signatures seen recently, so a captured request cannot be replayed inside
// the ±5 s window. Two generations rotate every `retentionMs`: an entry lives
// between one and two retention periods, which covers the widest window a
// timestamp can be accepted in (2 × 5 s). Bounded: when full, new requests
// are refused (fail closed) rather than forgetting what was seen.
//
// At order-entry rates a generation holds ~10⁵ signatures. As strings in a Set
// they filled the old generation and cost major GCs (p99 pauses); here each is
// a 64-bit fingerprint in a typed-array hash table, invisible to the GC. Only
// verified signatures are recorded, so fingerprints are random: two of them
// collide with odds ~n/2⁶⁴ per request, and a collision refuses (never admits)
// a request.

export type ReplayCheck = "fresh" | "replayed" | "full";

export interface ReplayCache {
  /** Records the signature if unseen. */
  check(id: string, nowMs: number): ReplayCheck;
  readonly size: number;
}

/** Whether the last 16 characters are lowercase hex (an unanchored regex scans the whole id). */
const hexTail = (id: string): boolean => {
  if (id.length < 16) return false;
  for (let i = id.length - 16; i < id.length; i++) {
    const c = id.charCodeAt(i);
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) return false;
  }
  return true;
};

/** Two 32-bit halves: the id's last 16 hex digits (a signature's), else FNV-1a twice. */
const fingerprint = (id: string, out: Uint32Array): void => {
  if (hexTail(id)) {
    out[0] = Number.parseInt(id.slice(-16, -8), 16);
    out[1] = Number.parseInt(id.slice(-8), 16);
  } else {
    let a = 0x811c9dc5;
    let b = 0x01000193 ^ id.length;
    for (let i = 0; i < id.length; i++) {
      const c = id.charCodeAt(i);
      a = Math.imul(a ^ c, 0x01000193);
      b = Math.imul(b ^ c, 0x5bd1e995);
    }
    out[0] = a >>> 0;
    out[1] = b >>> 0;
  }
  if (out[0] === 0 && out[1] === 0) out[1] = 1; // 0/0 marks an empty slot
};

/** Open addressing, linear probing; grows to keep the load under a half. */
class FingerprintSet {
  slots: Uint32Array;
  size = 0;
  constructor(capacity: number) {
    this.slots = new Uint32Array(capacity * 2);
  }
  /** The slot holding (hi, lo), or the empty slot where it would go. */
  private find(hi: number, lo: number): number {
    const mask = this.slots.length / 2 - 1;
    let i = (lo ^ Math.imul(hi, 0x9e3779b1)) & mask;
    for (;;) {
      const h = this.slots[2 * i]!;
      const l = this.slots[2 * i + 1]!;
      if ((h === 0 && l === 0) || (h === hi && l === lo)) return i;
      i = (i + 1) & mask;
    }
  }
  has(hi: number, lo: number): boolean {
    const i = this.find(hi, lo);
    return this.slots[2 * i] !== 0 || this.slots[2 * i + 1] !== 0;
  }
  add(hi: number, lo: number): void {
    if (2 * (this.size + 1) > this.slots.length / 2) this.grow();
    const i = this.find(hi, lo);
    if (this.slots[2 * i] === 0 && this.slots[2 * i + 1] === 0) this.size++;
    this.slots[2 * i] = hi;
    this.slots[2 * i + 1] = lo;
  }
  private grow(): void {
    const old = this.slots;
    this.slots = new Uint32Array(old.length * 2);
    this.size = 0;
    for (let i = 0; i < old.length; i += 2)
      if (old[i] !== 0 || old[i + 1] !== 0) this.add(old[i]!, old[i + 1]!);
  }
}

const INITIAL = 1 << 12;

export const createReplayCache = (options: {
  retentionMs: number;
  maxEntries: number;
}): ReplayCache => {
  let current = new FingerprintSet(INITIAL);
  let previous = new FingerprintSet(INITIAL);
  let rotatedAt = Number.NEGATIVE_INFINITY;
  const fp = new Uint32Array(2);
  const rotate = (nowMs: number) => {
    if (nowMs - rotatedAt < options.retentionMs) return;
    // Two periods idle: both generations are stale. The new generation starts
    // at the size the last one reached, so a steady rate never regrows.
    const capacity = Math.max(INITIAL, current.slots.length / 2);
    previous = nowMs - rotatedAt >= 2 * options.retentionMs ? new FingerprintSet(INITIAL) : current;
    current = new FingerprintSet(capacity);
    rotatedAt = nowMs;
  };
  return {
    check(id, nowMs) {
      rotate(nowMs);
      fingerprint(id, fp);
      const hi = fp[0]!;
      const lo = fp[1]!;
      if (current.has(hi, lo) || previous.has(hi, lo)) return "replayed";
      if (current.size + previous.size >= options.maxEntries) return "full";
      current.add(hi, lo);
      return "fresh";
    },
    get size() {
      return current.size + previous.size;
    },
  };
};
