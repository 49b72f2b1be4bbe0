// The read side as the gateway sees it: each account's execution reports in
// its gapless per-account sequence (projection-service's executions model).
// The SSE stream and the gap-fill GET are both built on `after`.

import type { FixMessage } from "../fix/message.ts";

export interface ExecutionRecord {
  readonly account: string;
  /** Gapless per account, from 1: the resume cursor. */
  readonly accountSeq: number;
  readonly report: FixMessage;
}

export interface ExecutionSource {
  /** Reports of `account` with accountSeq > afterSeq, oldest first, at most `limit`. */
  after(account: string, afterSeq: number, limit: number): Promise<readonly ExecutionRecord[]>;
  ready(): Promise<boolean>;
  /**
   * Optional push: calls `listener` when reports for these accounts (null:
   * possibly any) may have arrived, so streams poll only as a fallback.
   */
  changes?(listener: (accounts: readonly string[] | null) => void): () => void;
}

/**
 * A stream cursor over several accounts: "ACC1:15,ACC2:7" (last seq seen per
 * account). It is the SSE event id, so Last-Event-ID resumes every account.
 */
export type Cursor = ReadonlyMap<string, number>;

export const formatCursor = (c: Cursor): string =>
  [...c].map(([a, s]) => `${encodeURIComponent(a)}:${s}`).join(",");

export const parseCursor = (text: string | undefined): Cursor | null => {
  const out = new Map<string, number>();
  if (text === undefined || text === "") return out;
  for (const part of text.split(",")) {
    const i = part.lastIndexOf(":");
    const seq = part.slice(i + 1);
    if (i <= 0 || !/^[0-9]{1,15}$/.test(seq)) return null;
    let account: string;
    try {
      account = decodeURIComponent(part.slice(0, i));
    } catch {
      return null;
    }
    out.set(account, Number(seq));
  }
  return out;
};
