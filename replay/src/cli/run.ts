// `fxcore replay <command>`: argument parsing, rendering and exit codes around
// the replay functions. Exit codes: 0 done (and verified), 1 verification
// failed (divergence, broken chain), 2 bad arguments, 3 not in the log
// (unknown order or pair, instant or seq out of range), 4 an unreadable
// stored event, 70 an unexpected failure.
import { createWriteStream } from "node:fs";
import { once } from "node:events";
import { parseArgs } from "node:util";
import { ConfigError } from "@fxcore/infra";
import { RegistryUnavailableError } from "@fxcore/schemas";
import { bookAt, formatNs } from "../book/book-at.ts";
import type { ReplayContext } from "../context.ts";
import {
  EXPORT_FORMATS,
  type ExportFilter,
  type ExportFormat,
  exportLog,
} from "../export/export.ts";
import { verifyIntegrity } from "../integrity/integrity.ts";
import { lifecycle } from "../lifecycle/lifecycle.ts";
import { withReadSession } from "../log/read-session.ts";
import { type ReplayError, ReplayFailure, type ReplayResult } from "../log/replay-error.ts";
import { reexecute } from "../reexecute/reexecute.ts";
import { parseAsOf, parseInstant, parsePair, parseSeq } from "./arguments.ts";

export const EXIT = {
  ok: 0,
  failed: 1,
  usage: 2,
  notFound: 3,
  undecodable: 4,
  internal: 70,
} as const;

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Opened lazily: bad arguments fail before any connection is made. */
  readonly context: () => ReplayContext;
}

export const USAGE = `usage: fxcore replay <command> [options]

  lifecycle --order <OrderID>                       every event of one order, with the reports sent
  lifecycle --account <account> --clordid <ClOrdID>  (original or any replace's ClOrdID)
  book      --pair <PAIR> (--at <instant> | --seq <n> | --latest) [--levels <n>]
  reexecute --pair <PAIR> [--from-seq <n>] [--to-seq <n>]
  integrity [--pair <PAIR>]...
  export    --format jsonl|csv|avro --out <file|-> [--pair <PAIR>] [--account <id>] [--from <instant>] [--to <instant>]

  --json    machine-readable output (all but export)
  instant:  ISO-8601 with zone and up to 9 decimals, or ns since the epoch
env: DATABASE_URL (event store, read-only role), SCHEMA_REGISTRY_URL`;

const OPTIONS = {
  order: { type: "string" },
  account: { type: "string" },
  clordid: { type: "string" },
  pair: { type: "string", multiple: true },
  at: { type: "string" },
  seq: { type: "string" },
  latest: { type: "boolean" },
  levels: { type: "string" },
  "from-seq": { type: "string" },
  "to-seq": { type: "string" },
  format: { type: "string" },
  out: { type: "string" },
  from: { type: "string" },
  to: { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean" },
} as const;

const json = (v: unknown): string =>
  JSON.stringify(v, (_, x) => (typeof x === "bigint" ? x.toString() : x), 2);

export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const usage = (message: string): number => {
    io.stderr(`fxcore replay: ${message}\n${USAGE}\n`);
    return EXIT.usage;
  };
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (e) {
    return usage((e as Error).message);
  }
  const { values: v, positionals } = parsed;
  const [command, ...rest] = positionals;
  if (v.help || command === undefined) {
    io.stderr(`${USAGE}\n`);
    return v.help ? EXIT.ok : EXIT.usage;
  }
  if (rest.length > 0) return usage(`unexpected argument ${rest[0]}`);
  const onePair = (): { ok: true; value: string } | { ok: false; message: string } => {
    if (v.pair === undefined || v.pair.length !== 1)
      return { ok: false, message: `${command} needs one --pair` };
    return parsePair(v.pair[0]!);
  };

  let ctx: ReplayContext | undefined;
  const context = () => {
    ctx ??= io.context();
    return ctx;
  };
  const failed = (error: ReplayError): number => {
    io.stderr(`fxcore replay ${command}: ${error.message}\n`);
    return error.kind === "BAD_ARGUMENT"
      ? EXIT.usage
      : error.kind === "UNDECODABLE"
        ? EXIT.undecodable
        : EXIT.notFound;
  };
  const run = async <T>(
    fn: (c: ReplayContext) => Promise<ReplayResult<T>>,
    render: (value: T) => number,
  ): Promise<number> => {
    try {
      const r = await fn(context());
      return r.ok ? render(r.value) : failed(r.error);
    } catch (e) {
      if (e instanceof ReplayFailure) return failed(e.error);
      if (e instanceof ConfigError) {
        io.stderr(`fxcore replay: ${e.message}\n`);
        return EXIT.usage;
      }
      if ((e as { code?: string }).code === "42P01") {
        io.stderr(
          `fxcore replay ${command}: DATABASE_URL has no event store (${(e as Error).message})\n`,
        );
        return EXIT.notFound;
      }
      if (e instanceof RegistryUnavailableError) {
        io.stderr(`fxcore replay ${command}: schema registry unavailable: ${e.message}\n`);
        return EXIT.internal;
      }
      io.stderr(`fxcore replay ${command}: unexpected failure: ${(e as Error).stack ?? e}\n`);
      return EXIT.internal;
    } finally {
      await ctx?.close().catch(() => {});
    }
  };
  const progress = throttled(io.stderr);

  switch (command) {
    case "lifecycle": {
      let query: { orderId: string } | { account: string; clOrdId: string };
      if (v.order !== undefined && v.account === undefined && v.clordid === undefined)
        query = { orderId: v.order };
      else if (v.order === undefined && v.account !== undefined && v.clordid !== undefined)
        query = { account: v.account, clOrdId: v.clordid };
      else return usage("lifecycle needs --order, or --account with --clordid");
      return run(
        (c) => withReadSession(c.pool, (s) => lifecycle(s, query, c.decode)),
        (l) => {
          if (v.json) io.stdout(`${json(l)}\n`);
          else {
            io.stdout(
              `order ${l.orderId ?? "(none: rejected before an order id)"} ${l.symbol ?? ""} account ${l.account ?? ""}\n` +
                `ClOrdIDs ${l.clOrdIds.join(" -> ") || "-"}; OrdStatus now ${l.ordStatus ?? "-"}\n`,
            );
            for (const e of l.entries) {
              const r = e.report;
              const rep =
                r === null
                  ? "-"
                  : r.msgType === "8"
                    ? `35=8 150=${r.execType} 39=${r.ordStatus} 14=${r.cumQty} 151=${r.leavesQty}${r.lastQty === null ? "" : ` 32=${r.lastQty} 31=${r.lastPx}`}`
                    : `35=9 39=${r.ordStatus} 102=${r.cxlRejReason} 434=${r.cxlRejResponseTo}`;
              io.stdout(
                `${formatNs(e.transactTime)}  pos ${e.globalPosition}${e.pairSeq === null ? "" : ` seq ${e.pairSeq}`}  ${e.eventType.padEnd(21)} ${rep}${e.violation ? `  VIOLATION ${e.violation}` : ""}\n`,
              );
            }
          }
          return l.entries.some((e) => e.violation !== null) ? EXIT.failed : EXIT.ok;
        },
      );
    }
    case "book": {
      const pair = onePair();
      if (!pair.ok) return usage(pair.message);
      const asOf = parseAsOf(v.at, v.seq, v.latest === true);
      if (!asOf.ok) return usage(asOf.message);
      const levels =
        v.levels === undefined ? { ok: true as const, value: 10 } : parseSeq(v.levels, "--levels");
      if (!levels.ok) return usage(levels.message);
      return run(
        (c) =>
          withReadSession(c.pool, (s) =>
            bookAt(s, pair.value, asOf.value, {
              catalog: c.instruments,
              decode: c.decode,
              onProgress: (n) => progress(`book: ${n} inputs applied`),
            }),
          ),
        (b) => {
          if (v.json) io.stdout(`${json(b)}\n`);
          else {
            io.stdout(
              `${b.pair} after ${b.inputsApplied} inputs (seq ${b.lastSeq}${b.lastInput ? `, last input ${formatNs(b.lastInput.transactTime)} pos ${b.lastInput.globalPosition}` : ""}) state ${b.stateHash}\n`,
            );
            io.stdout("      bid qty (orders)   price   ask qty (orders)\n");
            const n = Math.min(levels.value, Math.max(b.depth.bids.length, b.depth.asks.length));
            for (let i = 0; i < n; i++) {
              const bid = b.depth.bids[i];
              const ask = b.depth.asks[i];
              io.stdout(
                `${bid ? `${bid.qty} (${bid.orders}) @ ${bid.price}`.padStart(30) : "".padStart(30)}   ${ask ? `${ask.price} @ ${ask.qty} (${ask.orders})` : ""}\n`,
              );
            }
            io.stdout(`resting orders in priority order (${b.resting.length}):\n`);
            for (const o of b.resting) {
              io.stdout(
                `  ${o.side.padEnd(4)} ${o.price} leaves ${o.leavesQty}/${o.qty} ${o.orderId} ${o.account} ${o.clOrdId}\n`,
              );
            }
          }
          return EXIT.ok;
        },
      );
    }
    case "reexecute": {
      const pair = onePair();
      if (!pair.ok) return usage(pair.message);
      const from = v["from-seq"] === undefined ? undefined : parseSeq(v["from-seq"], "--from-seq");
      const to = v["to-seq"] === undefined ? undefined : parseSeq(v["to-seq"], "--to-seq");
      if (from && !from.ok) return usage(from.message);
      if (to && !to.ok) return usage(to.message);
      return run(
        (c) =>
          withReadSession(c.pool, (s) =>
            reexecute(s, pair.value, {
              catalog: c.instruments,
              decode: c.decode,
              ...(from?.ok ? { fromSeq: from.value } : {}),
              ...(to?.ok ? { toSeq: to.value } : {}),
              onProgress: (i, m) => progress(`reexecute: ${i} inputs, ${m} outputs equal`),
            }),
          ),
        (r) => {
          if (v.json) io.stdout(`${json(r)}\n`);
          else if (r.divergence === null) {
            io.stdout(
              `${r.pair}: no divergence; ${r.matched} outputs equal over ${r.inputs} inputs (seq ${r.fromSeq}..${r.toSeq ?? "end"})${r.unrecordedTail ? `; ${r.unrecordedTail} outputs not recorded yet (sink behind)` : ""}\n`,
            );
          } else {
            const d = r.divergence;
            io.stdout(
              `${r.pair}: DIVERGENCE at seq ${d.seq}: ${d.kind}: ${d.detail}\n` +
                `  input ${d.input ? `${d.input.eventId} (pos ${d.input.globalPosition})` : "-"}; recorded ${d.recorded ? `${d.recorded.eventId} (pos ${d.recorded.globalPosition})` : "-"}\n` +
                `  after ${r.matched} equal outputs\n`,
            );
          }
          return r.divergence === null ? EXIT.ok : EXIT.failed;
        },
      );
    }
    case "integrity": {
      const pairs: string[] = [];
      for (const p of v.pair ?? []) {
        const r = parsePair(p);
        if (!r.ok) return usage(r.message);
        pairs.push(r.value);
      }
      return run(
        (c) =>
          withReadSession(c.pool, (s) =>
            verifyIntegrity(s, {
              decode: c.decode,
              ...(pairs.length ? { pairs } : {}),
              onProgress: (n) => progress(`integrity: ${n} events checked`),
            }),
          ),
        (r) => {
          if (v.json) io.stdout(`${json(r)}\n`);
          else {
            io.stdout(
              `${r.problem === null ? "OK" : "BROKEN"}: ${r.chainRecords} chain records, ${r.digests} digests, ${r.eventsChecked} stored events match their chain records` +
                `${r.inputsNotYetAudited ? ` (${r.inputsNotYetAudited} inputs not chained yet)` : ""}\n`,
            );
            if (r.problem !== null) io.stdout(`first problem: ${json(r.problem)}\n`);
            io.stdout("chain heads (compare with your copy):\n");
            for (const h of r.heads) io.stdout(`  ${h.pair} #${h.chainSeq} ${h.hash}\n`);
            io.stdout(`merkle root ${r.merkleRoot}\n`);
            if (r.latestDigest)
              io.stdout(
                `latest digest #${r.latestDigest.id} at ${r.latestDigest.takenAt.toISOString()}: ${r.latestDigest.merkleRoot}\n`,
              );
          }
          return r.problem === null ? EXIT.ok : EXIT.failed;
        },
      );
    }
    case "export": {
      const format = v.format as ExportFormat | undefined;
      if (format === undefined || !EXPORT_FORMATS.includes(format))
        return usage(`export needs --format ${EXPORT_FORMATS.join("|")}`);
      if (v.out === undefined) return usage("export needs --out <file> (or - for stdout)");
      const filter: { -readonly [K in keyof ExportFilter]: ExportFilter[K] } = {};
      if (v.from !== undefined) {
        const t = parseInstant(v.from, "--from");
        if (!t.ok) return usage(t.message);
        filter.fromNs = t.value;
      }
      if (v.to !== undefined) {
        const t = parseInstant(v.to, "--to");
        if (!t.ok) return usage(t.message);
        filter.toNs = t.value;
      }
      if (v.pair !== undefined) {
        const p = onePair();
        if (!p.ok) return usage(p.message);
        filter.pair = p.value;
      }
      if (v.account !== undefined) filter.account = v.account;
      if (filter.fromNs !== undefined && filter.toNs !== undefined && filter.fromNs >= filter.toNs)
        return usage("empty time range: --from must be before --to");
      const out = v.out === "-" ? process.stdout : createWriteStream(v.out);
      const sink = async (chunk: Buffer) => {
        if (!out.write(chunk)) await once(out, "drain");
      };
      return run(
        (c) =>
          withReadSession(c.pool, (s) =>
            exportLog(s, {
              format,
              filter,
              decode: c.decode,
              catalog: c.serde.catalog,
              sink,
              onProgress: (n, w) => progress(`export: ${n} events scanned, ${w} written`),
            }),
          ),
        (r) => {
          io.stderr(`export: ${r.written} of ${r.scanned} events written to ${v.out}\n`);
          return EXIT.ok;
        },
      ).finally(async () => {
        if (out !== process.stdout) {
          out.end();
          await once(out, "close").catch(() => {});
        }
      });
    }
    default:
      return usage(`unknown command ${command}`);
  }
}

/** Progress lines on stderr, at most one a second. */
function throttled(write: (text: string) => void): (line: string) => void {
  let last = 0;
  return (line) => {
    const now = Date.now();
    if (now - last < 1000) return;
    last = now;
    write(`${line}\n`);
  };
}
