// Per-key and per-account buckets, separately for order entry and queries. A
// request passes only if every bucket it touches has a token, and then takes
// one from each: a throttled key does not drain its account's bucket.

import { type BucketLimits, msUntilFull, msUntilToken } from "./token-bucket.ts";

export type BucketClass = "order" | "query";

export interface RateLimitConfig {
  readonly perKey: Readonly<Record<BucketClass, BucketLimits>>;
  readonly perAccount: Readonly<Record<BucketClass, BucketLimits>>;
}

export interface RateDecision {
  readonly allowed: boolean;
  /** The tightest bucket's burst, remaining whole tokens and seconds to full. */
  readonly limit: number;
  readonly remaining: number;
  readonly resetSec: number;
  /** Seconds to wait when refused (Retry-After). */
  readonly retryAfterSec: number;
  /** Which scope refused: "key" or "account". */
  readonly scope?: "key" | "account";
}

export interface RateLimiter {
  take(cls: BucketClass, keyId: string, accounts: readonly string[], nowMs: number): RateDecision;
}

const MAX_BUCKETS = 100_000;

/** A bucket's state, updated in place: this runs on every request. */
interface Bucket {
  tokens: number;
  atMs: number;
}

export const createRateLimiter = (config: RateLimitConfig): RateLimiter => {
  const maps = {
    order: { key: new Map<string, Bucket>(), account: new Map<string, Bucket>() },
    query: { key: new Map<string, Bucket>(), account: new Map<string, Bucket>() },
  };
  let size = 0;
  /** The bucket refilled to now (the same arithmetic as token-bucket.ts's refill). */
  const current = (
    map: Map<string, Bucket>,
    id: string,
    limits: BucketLimits,
    nowMs: number,
  ): Bucket => {
    const b = map.get(id);
    if (b === undefined) {
      const fresh = { tokens: limits.burst, atMs: nowMs };
      map.set(id, fresh);
      size++;
      return fresh;
    }
    const elapsed = Math.max(0, nowMs - b.atMs);
    b.tokens = Math.min(limits.burst, b.tokens + (elapsed * limits.ratePerSec) / 1000);
    b.atMs = Math.max(b.atMs, nowMs);
    return b;
  };
  const evictIdle = (nowMs: number) => {
    // Idle buckets are full ones: forgetting them changes nothing.
    size = 0;
    for (const cls of [maps.order, maps.query])
      for (const m of [cls.key, cls.account]) {
        for (const [id, b] of m) if (nowMs - b.atMs > 60_000) m.delete(id);
        size += m.size;
      }
  };
  return {
    take(cls, keyId, accounts, nowMs) {
      const keyLimits = config.perKey[cls];
      const accountLimits = config.perAccount[cls];
      const m = maps[cls];
      const keyBucket = current(m.key, keyId, keyLimits, nowMs);
      // Usually one account: no arrays on that path.
      let refusing: Bucket | null = keyBucket.tokens < 1 ? keyBucket : null;
      let refusingScope: "key" | "account" = "key";
      let accountBucket: Bucket | null = null;
      let many: Bucket[] | null = null;
      for (let i = 0; i < accounts.length; i++) {
        const b = current(m.account, accounts[i]!, accountLimits, nowMs);
        if (accountBucket === null) accountBucket = b;
        else {
          many ??= [accountBucket];
          many.push(b);
        }
        if (refusing === null && b.tokens < 1) {
          refusing = b;
          refusingScope = "account";
        }
      }
      if (refusing === null) {
        keyBucket.tokens -= 1;
        if (many) for (const b of many) b.tokens -= 1;
        else if (accountBucket) accountBucket.tokens -= 1;
      }
      if (size > MAX_BUCKETS) evictIdle(nowMs);
      let decisive = refusing ?? keyBucket;
      let decisiveLimits = refusing
        ? refusingScope === "key"
          ? keyLimits
          : accountLimits
        : keyLimits;
      if (!refusing) {
        // The tightest bucket (the first of equals) answers the RateLimit headers.
        if (many) {
          for (const b of many)
            if (b.tokens < decisive.tokens) {
              decisive = b;
              decisiveLimits = accountLimits;
            }
        } else if (accountBucket && accountBucket.tokens < decisive.tokens) {
          decisive = accountBucket;
          decisiveLimits = accountLimits;
        }
      }
      const remaining = Math.max(0, Math.floor(decisive.tokens));
      const resetSec = Math.ceil(msUntilFull(decisive, decisiveLimits) / 1000);
      if (refusing === null)
        return {
          allowed: true,
          limit: decisiveLimits.burst,
          remaining,
          resetSec,
          retryAfterSec: 0,
        };
      return {
        allowed: false,
        limit: decisiveLimits.burst,
        remaining,
        resetSec,
        retryAfterSec: Math.max(1, Math.ceil(msUntilToken(refusing, decisiveLimits) / 1000)),
        scope: refusingScope,
      };
    },
  };
};
