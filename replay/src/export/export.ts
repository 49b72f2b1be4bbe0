// Exports of the event log for a time range, a pair and/or an account, as
// JSON Lines, CSV or an Avro object container file. Streamed: the log is read
// through a cursor and written batch by batch, so memory stays constant.
import type { DomainEvent } from "@fxcore/domain";
import type { EnvelopeMeta, SchemaCatalog } from "@fxcore/schemas";
import type { DecodedEvent, EventDecoder } from "../log/decoder.ts";
import { logEvents } from "../log/event-log.ts";
import type { ReadSession } from "../log/read-session.ts";
import { type ReplayResult, replayError } from "../log/replay-error.ts";
import { exportSchema, type OcfCodec, OcfWriter } from "./avro-ocf.ts";
import { orderCodes, regulatoryCode } from "./regulatory-codes.ts";

export type ExportFormat = "jsonl" | "csv" | "avro";
export const EXPORT_FORMATS: readonly ExportFormat[] = ["jsonl", "csv", "avro"];

export interface ExportFilter {
  /** TransactTime range [from, to), ns. */
  readonly fromNs?: bigint;
  readonly toNs?: bigint;
  readonly pair?: string;
  readonly account?: string;
}

export interface ExportSummary {
  readonly scanned: number;
  readonly written: number;
  readonly firstPosition: bigint | null;
  readonly lastPosition: bigint | null;
}

export interface ExportOptions {
  readonly format: ExportFormat;
  readonly filter: ExportFilter;
  readonly decode: EventDecoder;
  readonly catalog: SchemaCatalog;
  /** Where the bytes go; resolves when the sink can take more (backpressure). */
  readonly sink: (chunk: Buffer) => Promise<void>;
  readonly onProgress?: (scanned: number, written: number) => void;
  readonly batchSize?: number;
  /** Block codec of an Avro export (default null: readable by any Avro reader without zlib). */
  readonly ocfCodec?: OcfCodec;
}

const accountsOf = (e: DomainEvent): string[] =>
  e.type === "TradeExecuted" ? [e.makerAccount, e.takerAccount] : "account" in e ? [e.account] : [];

export function matches(e: DomainEvent, f: ExportFilter): boolean {
  if (f.fromNs !== undefined && e.transactTime < f.fromNs) return false;
  if (f.toNs !== undefined && e.transactTime >= f.toNs) return false;
  if (f.pair !== undefined && e.symbol !== f.pair) return false;
  if (f.account !== undefined && !accountsOf(e).includes(f.account)) return false;
  return true;
}

export function validateFilter(f: ExportFilter): string | undefined {
  if (f.fromNs !== undefined && f.toNs !== undefined && f.fromNs >= f.toNs)
    return "empty time range: --from must be before --to";
  if (f.pair !== undefined && !/^[A-Z]{6}$/.test(f.pair))
    return `malformed pair ${f.pair} (e.g. EURUSD)`;
  if (f.account !== undefined && f.account.trim() === "") return "account is empty";
  return undefined;
}

export async function exportLog(
  s: ReadSession,
  o: ExportOptions,
): Promise<ReplayResult<ExportSummary>> {
  const bad = validateFilter(o.filter);
  if (bad !== undefined) return replayError("BAD_ARGUMENT", bad);
  const writer = formatWriter(o.format, o.catalog, o.sink, o.ocfCodec);
  let scanned = 0;
  let written = 0;
  let first: bigint | null = null;
  let last: bigint | null = null;
  for await (const batch of logEvents(s, o.batchSize)) {
    for (const stored of batch) {
      scanned++;
      const d = await o.decode(stored);
      if (!matches(d.event, o.filter)) continue;
      await writer.write(d);
      written++;
      first ??= stored.globalPosition;
      last = stored.globalPosition;
    }
    o.onProgress?.(scanned, written);
  }
  await writer.end();
  return { ok: true, value: { scanned, written, firstPosition: first, lastPosition: last } };
}

interface FormatWriter {
  write(d: DecodedEvent): Promise<void>;
  end(): Promise<void>;
}

const jsonReplacer = (_: string, v: unknown) => (typeof v === "bigint" ? v.toString() : v);

/** The JSON Lines record (also what the HTTP endpoints should return per event). */
export function jsonRecord(d: DecodedEvent): Record<string, unknown> {
  return {
    globalPosition: d.stored.globalPosition,
    streamId: d.stored.streamId,
    streamVersion: d.stored.streamVersion,
    recordedAt: d.stored.recordedAt.toISOString(),
    eventId: d.stored.eventId,
    eventType: d.event.type,
    schemaId: d.stored.schemaId,
    regulatoryCode: regulatoryCode(d.event),
    orderCodes: orderCodes(d.event),
    meta: d.meta,
    event: d.event,
  };
}

export const CSV_COLUMNS = [
  "global_position",
  "recorded_at",
  "event_id",
  "event_type",
  "regulatory_code",
  "rts24_codes",
  "cat_codes",
  "pair_seq",
  "symbol",
  "order_id",
  "cl_ord_id",
  "orig_cl_ord_id",
  "account",
  "side",
  "ord_type",
  "tif",
  "price_ticks",
  "qty",
  "leaves_qty",
  "cum_qty",
  "maker_order_id",
  "maker_account",
  "taker_order_id",
  "taker_account",
  "reason",
  "transact_time_ns",
  "occurred_at_ns",
  "correlation_id",
  "causation_id",
] as const;

const csvCell = (v: unknown): string => {
  if (v === null || v === undefined) return "";
  const s = typeof v === "string" ? v : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
};

export function csvRow(d: DecodedEvent): string {
  const e = d.event as DomainEvent & Record<string, unknown>;
  const meta: EnvelopeMeta = d.meta;
  const codes = orderCodes(d.event);
  const trade = e.type === "TradeExecuted" ? e : null;
  const row: Record<(typeof CSV_COLUMNS)[number], unknown> = {
    global_position: d.stored.globalPosition,
    recorded_at: d.stored.recordedAt.toISOString(),
    event_id: d.stored.eventId,
    event_type: e.type,
    regulatory_code: regulatoryCode(d.event),
    rts24_codes: codes
      .flatMap((c) => (c.rts24 === null ? [] : [`${c.orderId}:${c.rts24}`]))
      .join(";"),
    cat_codes: codes.map((c) => `${c.orderId}:${c.cat}`).join(";"),
    pair_seq: meta.pairSeq,
    symbol: e.symbol,
    order_id: "orderId" in e ? e.orderId : null,
    cl_ord_id: "clOrdId" in e ? e.clOrdId : null,
    orig_cl_ord_id: "origClOrdId" in e ? e.origClOrdId : null,
    account: "account" in e ? e.account : null,
    side: "side" in e ? e.side : trade?.aggressorSide,
    ord_type: "ordType" in e ? e.ordType : null,
    tif: "tif" in e ? e.tif : null,
    price_ticks: "price" in e ? e.price : null,
    qty: "qty" in e ? e.qty : null,
    leaves_qty: "leavesQty" in e ? e.leavesQty : null,
    cum_qty: "cumQty" in e ? e.cumQty : null,
    maker_order_id: trade?.makerOrderId,
    maker_account: trade?.makerAccount,
    taker_order_id: trade?.takerOrderId,
    taker_account: trade?.takerAccount,
    reason: "reason" in e ? e.reason : null,
    transact_time_ns: e.transactTime,
    occurred_at_ns: meta.occurredAt,
    correlation_id: meta.correlationId,
    causation_id: meta.causationId,
  };
  return CSV_COLUMNS.map((c) => csvCell(row[c])).join(",");
}

/** The OCF record: the event under its own record name in the union, in its current schema's shape. */
export function avroRecord(d: DecodedEvent, catalog: SchemaCatalog): Record<string, unknown> {
  const version = catalog.current(d.event.type);
  if (version === undefined) throw new Error(`no schema for ${d.event.type}`);
  const payload = d.event as unknown as Record<string, unknown>;
  const inner: Record<string, unknown> = {};
  for (const f of version.schema.fields) {
    if (f.name === "meta") inner.meta = d.meta;
    else
      inner[f.name] =
        payload[f.name] === undefined && f["fx.optional"] === true ? null : payload[f.name];
  }
  return {
    globalPosition: Number(d.stored.globalPosition),
    streamId: d.stored.streamId,
    streamVersion: Number(d.stored.streamVersion),
    recordedAt: d.stored.recordedAt.getTime() * 1000,
    eventId: d.stored.eventId,
    eventType: d.event.type,
    schemaId: d.stored.schemaId,
    regulatoryCode: regulatoryCode(d.event),
    event: { [version.fullName]: inner },
  };
}

/** Back from an OCF record to the event as the log holds it (the inverse of avroRecord). */
export function fromAvroRecord(
  record: Record<string, unknown>,
  catalog: SchemaCatalog,
): { eventId: string; globalPosition: bigint; meta: EnvelopeMeta; event: DomainEvent } {
  const union = record.event as Record<string, Record<string, unknown>>;
  const [fullName, inner] = Object.entries(union)[0]!;
  const type = fullName.slice(fullName.lastIndexOf(".") + 1);
  const version = catalog.current(type);
  const event: Record<string, unknown> = { type };
  for (const f of version?.schema.fields ?? []) {
    if (f.name === "meta") continue;
    const v = inner[f.name];
    if (v === null && f["fx.optional"] === true) continue;
    event[f.name] = v;
  }
  return {
    eventId: String(record.eventId),
    globalPosition: BigInt(record.globalPosition as number),
    meta: inner.meta as unknown as EnvelopeMeta,
    event: event as unknown as DomainEvent,
  };
}

function formatWriter(
  format: ExportFormat,
  catalog: SchemaCatalog,
  sink: (chunk: Buffer) => Promise<void>,
  codec: OcfCodec = "null",
): FormatWriter {
  if (format === "avro") {
    const ocf = new OcfWriter(exportSchema(catalog), sink, undefined, codec);
    return { write: (d) => ocf.write(avroRecord(d, catalog)), end: () => ocf.flush() };
  }
  // Text formats: lines gathered into ~64 KiB chunks.
  let lines: string[] = [];
  let size = 0;
  const push = async (line: string) => {
    lines.push(line);
    size += line.length + 1;
    if (size >= 64 * 1024) await flush();
  };
  const flush = async () => {
    if (lines.length === 0) return;
    const chunk = Buffer.from(`${lines.join("\n")}\n`, "utf8");
    lines = [];
    size = 0;
    await sink(chunk);
  };
  if (format === "csv") {
    let header = false;
    return {
      write: async (d) => {
        if (!header) {
          header = true;
          await push(CSV_COLUMNS.join(","));
        }
        await push(csvRow(d));
      },
      end: async () => {
        if (!header) await push(CSV_COLUMNS.join(","));
        await flush();
      },
    };
  }
  return {
    write: (d) => push(JSON.stringify(jsonRecord(d), jsonReplacer)),
    end: flush,
  };
}
