// Token buckets, pure: state in, state out. A bucket holds up to `burst`
// tokens and refills at `ratePerSec`; a request takes one.

export interface BucketLimits {
  readonly ratePerSec: number;
  readonly burst: number;
}

export interface BucketState {
  readonly tokens: number;
  readonly atMs: number;
}

export const fullBucket = (limits: BucketLimits, nowMs: number): BucketState => ({
  tokens: limits.burst,
  atMs: nowMs,
});

export const refill = (s: BucketState, limits: BucketLimits, nowMs: number): BucketState => {
  const elapsed = Math.max(0, nowMs - s.atMs);
  return {
    tokens: Math.min(limits.burst, s.tokens + (elapsed * limits.ratePerSec) / 1000),
    atMs: Math.max(s.atMs, nowMs),
  };
};

/** Milliseconds until the bucket holds one whole token again. */
export const msUntilToken = (s: BucketState, limits: BucketLimits): number =>
  s.tokens >= 1 ? 0 : Math.ceil(((1 - s.tokens) * 1000) / limits.ratePerSec);

/** Milliseconds until the bucket is full (the RateLimit-Reset horizon). */
export const msUntilFull = (s: BucketState, limits: BucketLimits): number =>
  Math.ceil(((limits.burst - s.tokens) * 1000) / limits.ratePerSec);
