// The export formats without a database: OCF written and read back (by our
// reader and by avsc's own container decoder), CSV quoting, regulatory codes.
import { Readable } from "node:stream";
import avro from "avsc";
import {
  accountId,
  clOrdId,
  type DomainEvent,
  execId,
  orderId,
  pairSeq,
  priceTicks,
  qty,
  symbol,
  timestampNs,
} from "@fxcore/domain";
import { loadCatalog, readerType } from "@fxcore/schemas";
import { describe, expect, it } from "vitest";
import type { DecodedEvent } from "../src/index.ts";
import {
  avroRecord,
  CSV_COLUMNS,
  exportSchema,
  fromAvroRecord,
  OcfWriter,
  orderCodes,
  readOcf,
  regulatoryCode,
  replayReaderType,
} from "../src/index.ts";
import { csvRow } from "../src/export/export.ts";

const catalog = loadCatalog();
const T = timestampNs(1_795_000_000_123_456_789n);
const trade: DomainEvent = {
  type: "TradeExecuted",
  seq: pairSeq(7),
  execId: execId("EURUSD-7"),
  symbol: symbol("EURUSD"),
  price: priceTicks(108_001),
  qty: qty(2_000),
  aggressorSide: "BUY",
  makerOrderId: orderId("M1"),
  makerClOrdId: clOrdId('m, "1"'),
  makerAccount: accountId("ACC1"),
  makerLeavesQty: qty(0),
  makerCumQty: qty(2_000),
  takerOrderId: orderId("T1"),
  takerClOrdId: clOrdId("t1"),
  takerAccount: accountId("ACC2"),
  takerLeavesQty: qty(1_000),
  takerCumQty: qty(2_000),
  transactTime: T,
};
const accepted: DomainEvent = {
  type: "OrderAccepted",
  orderId: orderId("O1"),
  clOrdId: clOrdId("c1"),
  account: accountId("ACC1"),
  symbol: symbol("USDJPY"),
  side: "SELL",
  ordType: "LIMIT",
  price: priceTicks(150_123),
  qty: qty(5_000),
  tif: "GTD",
  expireTime: timestampNs(T + 10n),
  minQty: null,
  postOnly: false,
  stpMode: "NONE",
  transactTime: T,
};
const decoded = (event: DomainEvent, n: number): DecodedEvent => ({
  stored: {
    globalPosition: BigInt(n),
    streamId: `s-${n}`,
    streamVersion: 0n,
    eventId: `00000000-0000-4000-8000-00000000000${n}`,
    eventType: event.type,
    schemaId: 12,
    payload: Buffer.alloc(0),
    recordedAt: new Date(1_795_000_000_123),
  },
  meta: {
    eventId: `00000000-0000-4000-8000-00000000000${n}`,
    occurredAt: T,
    correlationId: "corr",
    causationId: null,
    traceparent: null,
    tracestate: null,
    pairSeq: "seq" in event && event.seq !== undefined ? event.seq : null,
    writerEpoch: "seq" in event ? 2 : null,
  },
  event,
});

describe("Avro OCF export", () => {
  const write = async (events: DecodedEvent[], blockBytes = 64) => {
    const chunks: Buffer[] = [];
    const w = new OcfWriter(
      exportSchema(catalog),
      async (c) => {
        chunks.push(c);
      },
      blockBytes,
    );
    for (const d of events) await w.write(avroRecord(d, catalog));
    await w.flush();
    return Buffer.concat(chunks);
  };
  const events = [decoded(accepted, 1), decoded(trade, 2), decoded(accepted, 3)];

  it("round-trips through our reader, block by block", async () => {
    const file = await write(events);
    const back: unknown[] = [];
    for await (const block of readOcf(
      Readable.from([file.subarray(0, 10), file.subarray(10, 333), file.subarray(333)]),
    ))
      back.push(...block);
    expect(back.map((r) => fromAvroRecord(r as Record<string, unknown>, catalog))).toEqual(
      events.map((d) => ({
        eventId: d.stored.eventId,
        globalPosition: d.stored.globalPosition,
        meta: d.meta,
        event: d.event,
      })),
    );
  });

  it("is read by avsc's own container decoder from the embedded schema alone", async () => {
    const file = await write(events, 1 << 16);
    const records: Record<string, unknown>[] = [];
    let schema: unknown;
    await new Promise<void>((resolve, reject) => {
      const decoder = new avro.streams.BlockDecoder({
        parseHook: (s: unknown) => {
          schema = s;
          return readerType(s as never);
        },
      } as never);
      decoder
        .on("data", (r: Record<string, unknown>) => records.push(r))
        .on("error", reject)
        .on("end", resolve);
      decoder.end(file);
    });
    expect(JSON.stringify(schema)).toContain('"logicalType":"timestamp-nanos"');
    expect(records.map((r) => fromAvroRecord(r, catalog).event)).toEqual(
      events.map((d) => d.event),
    );
  });

  it("the fast replay reader reads ns timestamps exactly", async () => {
    const far = {
      ...accepted,
      transactTime: timestampNs(9_223_372_036_854_775_807n),
      expireTime: timestampNs(1n),
    };
    const file = await write([decoded(far as DomainEvent, 1), ...events]);
    const back: unknown[] = [];
    for await (const block of readOcf(Readable.from([file]), replayReaderType)) back.push(...block);
    const times = back.map((r) => {
      const inner = Object.values(
        (r as { event: Record<string, { transactTime: bigint; meta: { occurredAt: bigint } }> })
          .event,
      )[0]!;
      return [inner.transactTime, inner.meta.occurredAt];
    });
    expect(times).toEqual([
      [9_223_372_036_854_775_807n, T],
      [T, T],
      [T, T],
      [T, T],
    ]);
  });

  it("refuses a file that is not an OCF and a truncated one", async () => {
    await expect(async () => {
      for await (const _ of readOcf(Readable.from([Buffer.from("not avro at all")]))) void _;
    }).rejects.toThrow(/not an Avro object container/);
    const file = await write(events, 1 << 16);
    await expect(async () => {
      for await (const _ of readOcf(Readable.from([file.subarray(0, file.length - 5)]))) void _;
    }).rejects.toThrow(/truncated/);
  });
});

describe("CSV and codes", () => {
  it("quotes cells with commas and quotes, one column per header", () => {
    const d = decoded(trade, 2);
    const row = csvRow({ ...d, meta: { ...d.meta, correlationId: 'a,"b"\nc' } });
    const cells = parseCsvRow(row);
    expect(cells).toHaveLength(CSV_COLUMNS.length);
    expect(cells[CSV_COLUMNS.indexOf("correlation_id")]).toBe('a,"b"\nc');
    expect(cells[CSV_COLUMNS.indexOf("maker_order_id")]).toBe("M1");
    expect(cells[CSV_COLUMNS.indexOf("price_ticks")]).toBe("108001");
    expect(row).toContain("M1:FILL;T1:PARF");
    expect(row).toContain("1795000000123456789");
  });

  it("maps events to regulatory codes", () => {
    expect(regulatoryCode(accepted)).toBe("NEW");
    expect(regulatoryCode(trade)).toBe("PARTIAL_FILL");
    expect(orderCodes(trade)).toEqual([
      { orderId: "M1", rts24: "FILL", cat: "MEOT" },
      { orderId: "T1", rts24: "PARF", cat: "MEOT" },
    ]);
    const expired = {
      type: "OrderExpired",
      seq: pairSeq(1),
      orderId: orderId("O1"),
      clOrdId: clOrdId("c"),
      account: accountId("A"),
      symbol: symbol("EURUSD"),
      side: "BUY",
      expiredQty: qty(1),
      cumQty: qty(0),
      transactTime: T,
    } as const;
    expect(orderCodes({ ...expired, reason: "GTD" })[0]?.rts24).toBe("EXPI");
    expect(orderCodes({ ...expired, reason: "IOC_REMAINDER" })[0]?.rts24).toBe("CAMO");
  });
});

/** RFC 4180 cells of one record. */
function parseCsvRow(row: string): string[] {
  const cells: string[] = [];
  let i = 0;
  for (;;) {
    let cell = "";
    if (row[i] === '"') {
      i++;
      for (;;) {
        if (row[i] === '"' && row[i + 1] === '"') {
          cell += '"';
          i += 2;
        } else if (row[i] === '"') {
          i++;
          break;
        } else cell += row[i++];
      }
    } else while (i < row.length && row[i] !== ",") cell += row[i++];
    cells.push(cell);
    if (i >= row.length) return cells;
    i++; // the comma
  }
}
