// The regulator endpoints' logic, framework-free, for query-api to mount
// (role `regulator`): each takes the raw query-string values, answers a JSON
// body and an HTTP status. Verification findings (a divergence, a broken
// chain) are answers (200 with the finding), not errors.
import type { AsOf } from "../book/book-at.ts";
import { bookAt } from "../book/book-at.ts";
import { parseAsOf, parseInstant, parsePair, parseSeq } from "../cli/arguments.ts";
import type { ReplayContext } from "../context.ts";
import {
  EXPORT_FORMATS,
  type ExportFilter,
  type ExportFormat,
  exportLog,
} from "../export/export.ts";
import { verifyIntegrity } from "../integrity/integrity.ts";
import { type LifecycleQuery, lifecycle } from "../lifecycle/lifecycle.ts";
import { withReadSession } from "../log/read-session.ts";
import { type ReplayErrorKind, ReplayFailure, type ReplayResult } from "../log/replay-error.ts";
import { reexecute } from "../reexecute/reexecute.ts";

export interface ApiAnswer {
  readonly status: 200 | 400 | 404 | 422 | 500;
  /** JSON-safe: bigints already turned into decimal strings. */
  readonly body: unknown;
}

export const STATUS_OF: Readonly<Record<ReplayErrorKind, ApiAnswer["status"]>> = {
  BAD_ARGUMENT: 400,
  NOT_FOUND: 404,
  OUT_OF_RANGE: 422,
  UNDECODABLE: 500,
};

const jsonSafe = (v: unknown): unknown =>
  JSON.parse(JSON.stringify(v, (_, x) => (typeof x === "bigint" ? x.toString() : x)));
const bad = (message: string): ApiAnswer => ({
  status: 400,
  body: { error: "BAD_ARGUMENT", message },
});

async function answer<T>(fn: () => Promise<ReplayResult<T>>): Promise<ApiAnswer> {
  try {
    const r = await fn();
    return r.ok
      ? { status: 200, body: jsonSafe(r.value) }
      : {
          status: STATUS_OF[r.error.kind],
          body: { error: r.error.kind, message: r.error.message },
        };
  } catch (e) {
    if (e instanceof ReplayFailure)
      return {
        status: STATUS_OF[e.error.kind],
        body: { error: e.error.kind, message: e.error.message },
      };
    throw e;
  }
}

type Params = Readonly<Record<string, string | undefined>>;

export function regulatorApi(
  ctx: Pick<ReplayContext, "pool" | "decode" | "instruments" | "serde">,
) {
  const read = <T>(fn: Parameters<typeof withReadSession<T>>[1]) => withReadSession(ctx.pool, fn);
  return {
    /** GET /regulator/orders/:orderId/lifecycle, or ?account=&clOrdId= */
    lifecycle(p: Params): Promise<ApiAnswer> {
      let q: LifecycleQuery;
      if (p.orderId !== undefined) q = { orderId: p.orderId };
      else if (p.account !== undefined && p.clOrdId !== undefined)
        q = { account: p.account, clOrdId: p.clOrdId };
      else return Promise.resolve(bad("give orderId, or account and clOrdId"));
      return answer(() => read((s) => lifecycle(s, q, ctx.decode)));
    },
    /** GET /regulator/books/:pair?at=<instant>|seq=<n>|latest=true */
    book(p: Params): Promise<ApiAnswer> {
      const pair = parsePair(p.pair ?? "");
      if (!pair.ok) return Promise.resolve(bad(pair.message));
      const asOf = parseAsOf(p.at, p.seq, p.latest === "true");
      if (!asOf.ok) return Promise.resolve(bad(asOf.message));
      const value: AsOf = asOf.value;
      return answer(() =>
        read((s) => bookAt(s, pair.value, value, { catalog: ctx.instruments, decode: ctx.decode })),
      );
    },
    /** GET /regulator/pairs/:pair/reexecution?fromSeq=&toSeq= */
    reexecute(p: Params): Promise<ApiAnswer> {
      const pair = parsePair(p.pair ?? "");
      if (!pair.ok) return Promise.resolve(bad(pair.message));
      const from = p.fromSeq === undefined ? undefined : parseSeq(p.fromSeq, "fromSeq");
      const to = p.toSeq === undefined ? undefined : parseSeq(p.toSeq, "toSeq");
      if (from && !from.ok) return Promise.resolve(bad(from.message));
      if (to && !to.ok) return Promise.resolve(bad(to.message));
      return answer(() =>
        read((s) =>
          reexecute(s, pair.value, {
            catalog: ctx.instruments,
            decode: ctx.decode,
            ...(from?.ok ? { fromSeq: from.value } : {}),
            ...(to?.ok ? { toSeq: to.value } : {}),
          }),
        ),
      );
    },
    /** GET /regulator/integrity?pair=EURUSD,USDJPY */
    integrity(p: Params): Promise<ApiAnswer> {
      const pairs: string[] = [];
      for (const raw of (p.pair ?? "").split(",").filter(Boolean)) {
        const r = parsePair(raw);
        if (!r.ok) return Promise.resolve(bad(r.message));
        pairs.push(r.value);
      }
      return answer(() =>
        read((s) => verifyIntegrity(s, { decode: ctx.decode, ...(pairs.length ? { pairs } : {}) })),
      );
    },
    /**
     * GET /regulator/exports?format=jsonl|csv|avro&pair=&account=&from=&to=
     * Validates first (an answer with status ≠ 200 means nothing was written),
     * then streams into `sink` (the HTTP response), constant memory.
     */
    async export(p: Params, sink: (chunk: Buffer) => Promise<void>): Promise<ApiAnswer> {
      const format = p.format as ExportFormat | undefined;
      if (format === undefined || !EXPORT_FORMATS.includes(format))
        return bad(`format must be one of ${EXPORT_FORMATS.join(", ")}`);
      const filter: { -readonly [K in keyof ExportFilter]: ExportFilter[K] } = {};
      for (const [key, field] of [
        ["from", "fromNs"],
        ["to", "toNs"],
      ] as const) {
        const raw = p[key];
        if (raw === undefined) continue;
        const t = parseInstant(raw, key);
        if (!t.ok) return bad(t.message);
        filter[field] = t.value;
      }
      if (p.pair !== undefined) {
        const r = parsePair(p.pair);
        if (!r.ok) return bad(r.message);
        filter.pair = r.value;
      }
      if (p.account !== undefined) filter.account = p.account;
      return answer(() =>
        read((s) =>
          exportLog(s, { format, filter, decode: ctx.decode, catalog: ctx.serde.catalog, sink }),
        ),
      );
    },
  };
}

export type RegulatorApi = ReturnType<typeof regulatorApi>;
