// The functional core of the session clock (ADR 055): which pairs get a
// TimeAdvanced now, and at what transact time. No I/O, no clock: `now` comes in.
import type { TimestampNs } from "@fxcore/domain";

/** An expiry instant recorded for a pair when an order with an expireTime was accepted. */
export interface DueExpiry {
  readonly symbol: string;
  readonly dueNs: bigint;
}

export interface PlannedTick {
  readonly symbol: string;
  readonly transactTime: TimestampNs;
  readonly reason: "EXPIRY" | "HEARTBEAT";
  /** Earliest expiry this tick covers (null for a heartbeat): the tick's lag is transactTime − this. */
  readonly earliestDueNs: bigint | null;
}

export interface PlanInput {
  readonly now: TimestampNs;
  /** Expiries taken from the pending table; any not yet due are ignored. */
  readonly due: readonly DueExpiry[];
  /** Last tick per pair already in the store. */
  readonly lastTicks: ReadonlyMap<string, bigint>;
  /** Quiet pairs get a tick every `everyNs` (0 or absent: no heartbeat). */
  readonly heartbeat?: { readonly everyNs: bigint; readonly symbols: readonly string[] };
}

/**
 * One tick per pair with a due expiry (all of a pair's due expiries collapse
 * into it), plus heartbeats for pairs quiet for longer than the heartbeat.
 * A tick's time is `now`, but never at or before the pair's last tick, so time
 * in a pair's stream only moves forward even when instances' clocks disagree.
 */
export function planTicks(input: PlanInput): PlannedTick[] {
  const earliest = new Map<string, bigint>();
  for (const d of input.due) {
    if (d.dueNs > input.now) continue;
    const e = earliest.get(d.symbol);
    if (e === undefined || d.dueNs < e) earliest.set(d.symbol, d.dueNs);
  }
  const at = (symbol: string): TimestampNs => {
    const last = input.lastTicks.get(symbol);
    return (last !== undefined && last >= input.now ? last + 1n : input.now) as TimestampNs;
  };
  const ticks: PlannedTick[] = [];
  for (const [symbol, dueNs] of earliest)
    ticks.push({ symbol, transactTime: at(symbol), reason: "EXPIRY", earliestDueNs: dueNs });
  const hb = input.heartbeat;
  if (hb !== undefined && hb.everyNs > 0n)
    for (const symbol of new Set(hb.symbols)) {
      if (earliest.has(symbol)) continue;
      const last = input.lastTicks.get(symbol);
      if (last === undefined || input.now - last >= hb.everyNs)
        ticks.push({ symbol, transactTime: at(symbol), reason: "HEARTBEAT", earliestDueNs: null });
    }
  return ticks.sort((a, b) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0));
}

/** The pair and instant to record for an accepted event, if it can expire (GTD, DAY). */
export function expiryOf(event: {
  readonly type: string;
  readonly symbol: string;
  readonly expireTime?: bigint | null;
}): DueExpiry | null {
  if (event.type !== "OrderAccepted" || event.expireTime === undefined || event.expireTime === null)
    return null;
  return { symbol: event.symbol, dueNs: event.expireTime };
}
