// Per-key and per-account buckets, separately for order entry and queries. A
// request passes only if every bucket it touches has a token, and then takes
// one from each: a throttled key does not drain its account's bucket.

import {
  type BucketLimits,
  type BucketState,
  fullBucket,
  msUntilFull,
  msUntilToken,
  refill,
} from "./token-bucket.ts";

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

export const createRateLimiter = (config: RateLimitConfig): RateLimiter => {
  const buckets = new Map<string, BucketState>();
  return {
    take(cls, keyId, accounts, nowMs) {
      const scopes: Array<{ id: string; limits: BucketLimits; scope: "key" | "account" }> = [
        { id: `k\0${cls}\0${keyId}`, limits: config.perKey[cls], scope: "key" },
        ...accounts.map((a) => ({
          id: `a\0${cls}\0${a}`,
          limits: config.perAccount[cls],
          scope: "account" as const,
        })),
      ];
      const touched = scopes.map((t) => {
        const prev = buckets.get(t.id);
        return { ...t, state: prev ? refill(prev, t.limits, nowMs) : fullBucket(t.limits, nowMs) };
      });
      const refusing = touched.find((t) => t.state.tokens < 1);
      if (!refusing) {
        for (const t of touched) {
          t.state = { tokens: t.state.tokens - 1, atMs: t.state.atMs };
        }
      }
      if (buckets.size > MAX_BUCKETS) {
        // Idle buckets are full ones: forgetting them changes nothing.
        for (const [id, s] of buckets) if (nowMs - s.atMs > 60_000) buckets.delete(id);
      }
      for (const t of touched) buckets.set(t.id, t.state);
      const tightest = touched.reduce((a, b) => (b.state.tokens < a.state.tokens ? b : a));
      const decisive = refusing ?? tightest;
      return {
        allowed: !refusing,
        limit: decisive.limits.burst,
        remaining: Math.max(0, Math.floor(decisive.state.tokens)),
        resetSec: Math.ceil(msUntilFull(decisive.state, decisive.limits) / 1000),
        retryAfterSec: refusing
          ? Math.max(1, Math.ceil(msUntilToken(refusing.state, refusing.limits) / 1000))
          : 0,
        ...(refusing ? { scope: refusing.scope } : {}),
      };
    },
  };
};
