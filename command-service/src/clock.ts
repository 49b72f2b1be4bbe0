import type { TimestampNs } from "@fxcore/domain";

/** Wall-clock time in ns since the epoch (µs resolution): the shell's one clock. */
export const nowNs = (): TimestampNs =>
  (BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000)) * 1000n) as TimestampNs;
