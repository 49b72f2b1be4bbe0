// Execution reports over Server-Sent Events. The event id is the multi-account
// cursor ("ACC1:15,ACC2:7"), so a browser's or client's Last-Event-ID resumes
// every account exactly after the last report it saw. The read side is
// polled (it is a Postgres read model), and woken early by its NOTIFYs; a comment line every heartbeat keeps
// proxies from closing an idle stream and tells the client the link is alive.

import type { FastifyReply, FastifyRequest } from "fastify";
import { type ExecutionSource, formatCursor, parseCursor } from "../executions/source.ts";
import { encodeFixJson } from "../fix/json.ts";

export interface StreamOptions {
  readonly source: ExecutionSource;
  readonly accounts: readonly string[];
  readonly cursorText: string | undefined;
  readonly heartbeatMs: number;
  readonly pollMs: number;
  readonly now: () => number;
  /** Aborted when the server shuts down: every stream ends so close() can finish. */
  readonly signal: AbortSignal;
  /** Called once when the stream has ended, however it ended. */
  readonly onEnd?: () => void;
}

const PAGE = 200;

export const streamExecutions = (
  req: FastifyRequest,
  reply: FastifyReply,
  o: StreamOptions,
): { ok: true } | { ok: false; message: string } => {
  const cursor = parseCursor(o.cursorText);
  if (cursor === null)
    return { ok: false, message: 'Last-Event-ID/cursor must look like "ACC1:15,ACC2:7"' };
  // Only the caller's accounts; a cursor naming others is ignored for them.
  const position = new Map(o.accounts.map((a) => [a, cursor.get(a) ?? 0]));
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache, no-transform",
    connection: "keep-alive",
    "x-accel-buffering": "no",
  });
  let closed = false;
  // Woken early by the read side's notifications for these accounts; polling stays as the fallback.
  let wake: (() => void) | null = null;
  const mine = new Set(o.accounts);
  const unsubscribe = o.source.changes?.((accounts) => {
    if (accounts === null || accounts.some((a) => mine.has(a))) wake?.();
  });
  const waiters = new Set<() => void>();
  const stop = () => {
    if (closed) return;
    closed = true;
    unsubscribe?.();
    wake?.();
    for (const w of waiters) w();
  };
  req.raw.on("close", stop);
  o.signal.addEventListener("abort", stop, { once: true });
  const write = async (chunk: string) => {
    if (closed || raw.write(chunk)) return;
    // A stalled client must not pin the loop: closing or stopping also releases it.
    await new Promise<void>((resolve) => {
      const done = () => {
        raw.off("drain", done);
        raw.off("close", done);
        waiters.delete(done);
        resolve();
      };
      raw.on("drain", done);
      raw.on("close", done);
      waiters.add(done);
    });
  };
  void (async () => {
    let lastWrite = o.now();
    await write(
      `retry: 1000\n: stream of ${o.accounts.length} account(s) from ${formatCursor(position) || "start"}\n\n`,
    );
    while (!closed) {
      let wrote = false;
      try {
        for (const account of o.accounts) {
          for (;;) {
            const rows = await o.source.after(account, position.get(account) ?? 0, PAGE);
            for (const r of rows) {
              position.set(account, r.accountSeq);
              await write(
                `id: ${formatCursor(position)}\nevent: executionReport\ndata: ${encodeFixJson(r.report)}\n\n`,
              );
              wrote = true;
            }
            if (rows.length < PAGE || closed) break;
          }
        }
      } catch (e) {
        await write(
          `: read side unavailable (${e instanceof Error ? e.message : "error"}), retrying\n\n`,
        );
      }
      if (wrote) lastWrite = o.now();
      if (o.now() - lastWrite >= o.heartbeatMs) {
        await write(`: heartbeat ${o.now()}\n\n`);
        lastWrite = o.now();
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, o.pollMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = null;
    }
    o.signal.removeEventListener("abort", stop);
    raw.end();
    o.onEnd?.();
  })();
  return { ok: true };
};
