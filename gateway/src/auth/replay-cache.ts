// Signatures seen recently, so a captured request cannot be replayed inside
// the ±5 s window. Two generations rotate every `retentionMs`: an entry lives
// between one and two retention periods, which covers the widest window a
// timestamp can be accepted in (2 × 5 s). Bounded: when full, new requests
// are refused (fail closed) rather than forgetting what was seen.

export type ReplayCheck = "fresh" | "replayed" | "full";

export interface ReplayCache {
  /** Records the signature if unseen. */
  check(id: string, nowMs: number): ReplayCheck;
  readonly size: number;
}

export const createReplayCache = (options: {
  retentionMs: number;
  maxEntries: number;
}): ReplayCache => {
  let current = new Set<string>();
  let previous = new Set<string>();
  let rotatedAt = Number.NEGATIVE_INFINITY;
  const rotate = (nowMs: number) => {
    if (nowMs - rotatedAt < options.retentionMs) return;
    // Two periods idle: both generations are stale.
    previous = nowMs - rotatedAt >= 2 * options.retentionMs ? new Set() : current;
    current = new Set();
    rotatedAt = nowMs;
  };
  return {
    check(id, nowMs) {
      rotate(nowMs);
      if (current.has(id) || previous.has(id)) return "replayed";
      if (current.size + previous.size >= options.maxEntries) return "full";
      current.add(id);
      return "fresh";
    },
    get size() {
      return current.size + previous.size;
    },
  };
};
