// Catch-up + live over a pull function: read batches until the log is
// drained, then sleep until a wake-up (NOTIFY) or the poll interval. Polling
// stays necessary: an event notified while an older transaction is still
// open is not readable yet (it is above the watermark) and no second NOTIFY
// comes when that older transaction ends.
import type { LogCheckpoint, RecordedEvent, Subscription } from "../port/event-store.ts";

export interface Wakeups {
  /** Resolves on the next wake-up or after `ms`, whichever is first. */
  wait(ms: number): Promise<void>;
}

export interface PollingSubscriptionOptions {
  readonly from: LogCheckpoint;
  readonly read: (after: LogCheckpoint, limit: number) => Promise<readonly RecordedEvent[]>;
  readonly handler: (event: RecordedEvent) => Promise<void> | void;
  readonly batchSize: number;
  readonly wakeups: Wakeups;
  /** Longest sleep when idle (default 100 ms). */
  readonly pollMs?: number;
}

export function subscribeByPolling(o: PollingSubscriptionOptions): Subscription {
  let stopped = false;
  let wakeStop: (() => void) | undefined;
  const stopSignal = new Promise<void>((r) => {
    wakeStop = r;
  });
  const run = async (): Promise<void> => {
    let at = o.from;
    while (!stopped) {
      const batch = await o.read(at, o.batchSize);
      for (const e of batch) {
        if (stopped) return;
        await o.handler(e);
        at = e.checkpoint;
      }
      if (batch.length < o.batchSize)
        await Promise.race([o.wakeups.wait(o.pollMs ?? 100), stopSignal]);
    }
  };
  const done = run();
  done.catch(() => {});
  return {
    done,
    close: async () => {
      stopped = true;
      wakeStop?.();
      await done.catch(() => {});
    },
  };
}
