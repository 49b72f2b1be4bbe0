// A worker thread that answers jobs by id: the one way a service moves CPU
// work off its event loop (the matcher's snapshot encoding, ADR 103; the
// projection's audit chain used it until ADR 124). A thread that fails or exits fails the
// jobs it held and the next job starts a new one; it never keeps the process
// alive. This file imports nothing of infra's: a worker that loads it does not
// pay for infra's module graph (~1 s of CPU, ADR 104).
import { parentPort, type TransferListItem, Worker } from "node:worker_threads";

interface Request<J> {
  readonly id: number;
  readonly job: J;
}

type Reply<W> =
  | { readonly id: number; readonly ok: true; readonly result: W }
  | { readonly id: number; readonly ok: false; readonly error: string };

export interface JobThread<J, R> {
  /** `transfer`: buffers of `job` moved to the thread instead of copied. */
  run(job: J, transfer?: readonly TransferListItem[]): Promise<R>;
  close(): Promise<void>;
}

/**
 * The caller's side. `script` runs `serveJobs`; `received` turns a result as
 * structured clone delivers it (W) into what callers get (R), e.g. a
 * Uint8Array back into a Buffer. `startNow`: load the script at once, so its
 * start-up is not in the first job's time.
 */
export function startJobThread<J, W, R>(
  name: string,
  script: URL,
  received: (result: W) => R,
  options: { readonly startNow?: boolean } = {},
): JobThread<J, R> {
  let worker: Worker | undefined;
  let nextId = 0;
  const waiting = new Map<
    number,
    { readonly on: Worker; resolve: (r: R) => void; reject: (e: Error) => void }
  >();
  /** Fails the jobs held by `w` only: a closed thread's exit comes after a new one took jobs. */
  const failHeldBy = (w: Worker, err: Error) => {
    for (const [id, p] of waiting)
      if (p.on === w) {
        waiting.delete(id);
        p.reject(err);
      }
  };
  const spawn = (): Worker => {
    const w = new Worker(script);
    w.unref();
    w.on("message", (m: Reply<W>) => {
      const p = waiting.get(m.id);
      if (p === undefined) return;
      waiting.delete(m.id);
      if (!m.ok) p.reject(new Error(`${name} thread: ${m.error}`));
      else p.resolve(received(m.result));
    });
    const gone = (err: Error) => {
      if (worker === w) worker = undefined;
      failHeldBy(w, err);
    };
    w.on("error", gone);
    w.on("exit", (code) => gone(new Error(`${name} thread exited (${code})`)));
    return w;
  };
  if (options.startNow === true) worker = spawn();
  return {
    run: (job, transfer) =>
      new Promise<R>((resolve, reject) => {
        worker ??= spawn();
        const on = worker;
        const id = nextId++;
        waiting.set(id, { on, resolve, reject });
        try {
          const request: Request<J> = { id, job };
          on.postMessage(request, transfer);
        } catch (err) {
          waiting.delete(id);
          reject(err instanceof Error ? err : new Error(String(err)));
        }
      }),
    async close() {
      const w = worker;
      worker = undefined;
      if (w === undefined) return;
      failHeldBy(w, new Error(`${name} thread closed`));
      await w.terminate();
    },
  };
}

/**
 * The thread's side: answers each job with `handle`'s result (its
 * `transfer` buffers moved back), or with the error it threw.
 */
export function serveJobs<J, W>(
  handle: (job: J) => W | Promise<W>,
  transfer: (result: W) => readonly TransferListItem[] = () => [],
): void {
  const port = parentPort;
  if (port === null) throw new Error("serveJobs runs in a worker thread");
  const fail = (id: number, err: unknown) =>
    port.postMessage({ id, ok: false, error: String(err) });
  port.on("message", ({ id, job }: Request<J>) => {
    try {
      Promise.resolve(handle(job)).then(
        (result) => port.postMessage({ id, ok: true, result }, transfer(result)),
        (err: unknown) => fail(id, err),
      );
    } catch (err) {
      fail(id, err);
    }
  });
}
