// Env vars of the session clock (read by main.ts with the service's other config).
import { int, oneOf, str } from "@fxcore/infra";

export const sessionClockConfig = {
  /** `off` when another deployment runs the clock (any number of instances may run it: one ticks at a time). */
  SESSION_CLOCK: oneOf(["on", "off"], { default: "on" }),
  /** Poll period = the most an expiry waits for its tick, plus one commit. */
  SESSION_CLOCK_INTERVAL_MS: int({ default: 250, min: 10, max: 60_000 }),
  /** Tick every pair that has been quiet this long; 0 = no heartbeat. */
  SESSION_CLOCK_HEARTBEAT_MS: int({ default: 0, min: 0 }),
  /** The region's home pairs (ADR 040), comma-separated: the only pairs ticked. Empty: every pair. */
  FXCORE_HOME_PAIRS: str({ default: "" }),
};

/** FXCORE_HOME_PAIRS as a list; null when empty (every pair). */
export const homePairs = (raw: string): string[] | null => {
  const pairs = raw
    .split(",")
    .map((p) => p.trim())
    .filter((p) => p !== "");
  return pairs.length === 0 ? null : pairs;
};
