// The compiled Avro readers (ADR 084, 086) against the serde they stand in
// for: same envelope for every event of a session and for random values at
// the edges of each type, same resolution of an older writer schema, an
// error (never a wrong value) for bytes that are not a record. And the OCF
// deflate codec: the same records as the null codec, by both readers.
import { Readable, Writable } from "node:stream";
import { REFERENCE_CATALOG } from "@fxcore/domain";
import {
  type Envelope,
  loadCatalog,
  planRead,
  readBody,
  readerType,
  type SchemaVersion,
  writeBody,
  writerType,
} from "@fxcore/schemas";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  compileEnvelopeReader,
  compileInputReader,
  compileSelectiveReader,
} from "../src/codec/avro-compiler.ts";
import { schemaTree, UnsupportedSchema } from "../src/codec/avro-schema.ts";
import { bookFromOcf, exportSchema, openOcf, readOcf, recodeOcf } from "../src/index.ts";
import { ocfBytes } from "./support/ocf.ts";
import { buildSession, metaFor } from "./support/session.ts";

const catalog = loadCatalog();
const session = buildSession({ n: 3_000, pairs: ["EURUSD", "USDJPY"], seed: 9 });
const envelopes: Envelope[] = session.steps.flatMap((s) => [s.input, ...s.outputs]);

/** What the serde makes of a body written with `writerSchema`. */
const MATCHER_INPUTS: string[] = [
  "OrderAccepted",
  "OrderCancelRequested",
  "OrderReplaceRequested",
  "TimeAdvanced",
];

const plans = new Map<unknown, ReturnType<typeof planRead>>();
function serdeDecode(body: Buffer, writerSchema: unknown) {
  let plan = plans.get(writerSchema);
  if (plan === undefined) {
    plan = planRead(catalog, writerType(writerSchema as never));
    plans.set(writerSchema, plan);
  }
  if (!plan.ok) throw new Error(plan.error.message);
  return readBody(body, plan.value);
}

/** Unsigned LEB128 of an already zig-zagged value. */
function varint(z: bigint): Buffer {
  const out: number[] = [];
  while (z >= 0x80n) {
    out.push(Number(z & 0x7fn) | 0x80);
    z >>= 7n;
  }
  out.push(Number(z));
  return Buffer.from(out);
}

const readerOf = (type: string, writerSchema?: unknown) =>
  compileEnvelopeReader(
    schemaTree(writerSchema ?? catalog.current(type)!.schema),
    schemaTree(catalog.current(type)!.schema),
    type,
  );

/** The Avro record of an envelope under a given (older) schema version, as the serde's writer shapes it. */
function toAvroRecordForTest(env: Envelope, v: SchemaVersion): Record<string, unknown> {
  const payload = env.payload as unknown as Record<string, unknown>;
  const record: Record<string, unknown> = {};
  for (const f of v.schema.fields) {
    record[f.name] = f.name === "meta" ? env.meta : (payload[f.name] ?? null);
  }
  return record;
}

describe("compiled envelope readers", () => {
  it("decode every event of a session exactly as the serde does (inside a larger buffer)", () => {
    let compared = 0;
    const readers = new Map<string, ReturnType<typeof readerOf>>();
    for (const env of envelopes) {
      const type = env.payload.type;
      let read: ReturnType<typeof readerOf>;
      try {
        read = readers.get(type) ?? readerOf(type);
        readers.set(type, read);
      } catch (e) {
        // FIX-code enums (rejects) are left to the serde; nothing else is.
        expect(e).toBeInstanceOf(UnsupportedSchema);
        expect(["OrderRejected", "CancelRejected", "ReplaceRejected"]).toContain(type);
        continue;
      }
      const body = writeBody(catalog, env);
      const framed = Buffer.concat([Buffer.from([1, 2, 3]), body, Buffer.from([4, 5])]);
      const want = serdeDecode(body, catalog.current(type)!.schema);
      expect(want.ok).toBe(true);
      expect(read(framed, 3, 3 + body.length)).toEqual(want.ok ? want.value : undefined);
      compared++;
    }
    expect(compared).toBeGreaterThan(envelopes.length / 2);
  });

  it("input readers: the serde's payload and the event id's bytes, nothing else built", () => {
    const readers = new Map<string, ReturnType<typeof compileInputReader>>();
    let compared = 0;
    for (const env of envelopes) {
      const type = env.payload.type;
      if (!MATCHER_INPUTS.includes(type)) continue;
      const schema = catalog.current(type)!.schema;
      const read =
        readers.get(type) ?? compileInputReader(schemaTree(schema), schemaTree(schema), type);
      readers.set(type, read);
      const body = writeBody(catalog, env);
      const framed = Buffer.concat([Buffer.from([9]), body, Buffer.from([9])]);
      const want = serdeDecode(body, schema);
      expect(want.ok && read.read(framed, 1, 1 + body.length)).toEqual(
        want.ok && want.value.payload,
      );
      expect(framed.toString("utf8", read.idStart(), read.idEnd())).toBe(env.meta.eventId);
      compared++;
    }
    expect(compared).toBeGreaterThan(2_000);
    // Metadata is checked, not skipped blindly: a pairSeq beyond the safe range fails both.
    const env = envelopes.find((e) => e.payload.type === "OrderCancelRequested")!;
    const schema = catalog.current("OrderCancelRequested")!.schema;
    const read = compileInputReader(schemaTree(schema), schemaTree(schema), "OrderCancelRequested");
    const body = writeBody(catalog, { ...env, meta: { ...env.meta, pairSeq: 5 as never } });
    // pairSeq = 5 is the only varint 0x0a after union index 0x02; widen it to 2^53.
    const at = body.indexOf(Buffer.from([0x02, 0x0a]));
    expect(at).toBeGreaterThan(0);
    const wide = Buffer.concat([
      body.subarray(0, at + 1),
      varint(2n ** 54n),
      body.subarray(at + 2),
    ]);
    expect(serdeDecode(wide, schema).ok).toBe(false);
    expect(() => read.read(wide, 0, wide.length)).toThrow(/safe integer/);
  });

  it("resolve an older writer schema (OrderAccepted v1, no minQty) like the serde", () => {
    const v1 = catalog.versions("OrderAccepted")[0]!;
    expect(v1.version).toBe(1);
    const read = readerOf("OrderAccepted", v1.schema);
    const accepted = envelopes.filter((e) => e.payload.type === "OrderAccepted").slice(0, 200);
    for (const env of accepted) {
      const body = readerType(v1.schema).toBuffer(toAvroRecordForTest(env, v1));
      const want = serdeDecode(body, v1.schema);
      expect(want.ok).toBe(true);
      expect(read(body, 0, body.length)).toEqual(want.ok ? want.value : undefined);
    }
  });

  it("agree with the serde on random values at the edges of every field type", () => {
    const read = readerOf("OrderAccepted");
    const ns = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
    const safe = fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER });
    const text = fc.string({ unit: "binary", maxLength: 40 });
    fc.assert(
      fc.property(
        fc.record({
          eventId: text,
          occurredAt: ns,
          correlationId: text,
          causationId: fc.option(text),
          pairSeq: fc.option(safe),
          orderId: text,
          symbol: text,
          side: fc.constantFrom("BUY", "SELL"),
          price: fc.option(safe),
          qty: safe,
          tif: fc.constantFrom("DAY", "GTC", "IOC", "FOK", "GTD"),
          expireTime: fc.option(ns),
          minQty: fc.option(safe),
          postOnly: fc.boolean(),
          transactTime: ns,
        }),
        (v) => {
          const env = {
            meta: {
              ...metaFor(v.eventId, v.occurredAt as never, v.correlationId),
              causationId: v.causationId,
              pairSeq: v.pairSeq,
            },
            payload: {
              type: "OrderAccepted",
              orderId: v.orderId,
              clOrdId: v.orderId,
              account: "ACC1",
              symbol: v.symbol,
              side: v.side,
              ordType: "LIMIT",
              price: v.price,
              qty: v.qty,
              tif: v.tif,
              expireTime: v.expireTime,
              minQty: v.minQty,
              postOnly: v.postOnly,
              stpMode: "NONE",
              transactTime: v.transactTime,
            },
          } as unknown as Envelope;
          const body = writeBody(catalog, env);
          const want = serdeDecode(body, catalog.current("OrderAccepted")!.schema);
          expect(want.ok).toBe(true);
          expect(read(body, 0, body.length)).toEqual(want.ok ? want.value : undefined);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("throw on truncated bytes, trailing bytes and bad union indexes, where the serde refuses too", () => {
    const read = readerOf("OrderCancelRequested");
    const env = envelopes.find((e) => e.payload.type === "OrderCancelRequested")!;
    const body = writeBody(catalog, env);
    const schema = catalog.current("OrderCancelRequested")!.schema;
    for (const cut of [1, 10, body.length - 1]) {
      expect(() => read(body, 0, cut)).toThrow();
      expect(serdeDecode(body.subarray(0, cut), schema).ok).toBe(false);
    }
    const longer = Buffer.concat([body, Buffer.from([0])]);
    expect(() => read(longer, 0, longer.length)).toThrow(/trailing/);
    expect(serdeDecode(longer, schema).ok).toBe(false);
    // causationId is the 4th meta field; after eventId (36-char string), occurredAt, correlationId.
    const bad = Buffer.from(body);
    const at = 1 + 36;
    let p = at;
    while (bad[p]! & 0x80) p++; // occurredAt varint
    p++;
    p += 1 + (bad[p]! >> 1); // correlationId
    bad[p] = 0x08; // union index 4 of a 2-branch union
    expect(() => read(bad, 0, bad.length)).toThrow();
    expect(serdeDecode(bad, schema).ok).toBe(false);
  });

  it("refuse a long outside the safe integer range (no rounding)", () => {
    const schema = catalog.current("OrderReplaceRequested")!.schema;
    const r = readerOf("OrderReplaceRequested");
    const env = envelopes.find((e) => e.payload.type === "OrderReplaceRequested")!;
    const t = (env.payload as { transactTime: bigint }).transactTime;
    // qty is the field before transactTime, the last one: write it as 1, then splice in 2^53.
    const one = writeBody(catalog, { ...env, payload: { ...env.payload, qty: 1 } } as Envelope);
    const tail = varint(t >= 0n ? t * 2n : -t * 2n - 1n);
    const at = one.length - tail.length - 1;
    expect(one[at]).toBe(2);
    const body = Buffer.concat([one.subarray(0, at), varint(2n ** 54n), tail]);
    expect(() => r(body, 0, body.length)).toThrow(/safe integer/);
    expect(serdeDecode(body, schema).ok).toBe(false);
  });
});

describe("OCF with the deflate codec and the compiled selective reader", () => {
  const ocf = (codec: "null" | "deflate") => ocfBytes(catalog, envelopes, codec);

  it("reads the same records from a deflate file as from a null one, recoded or written", async () => {
    const plain = await ocf("null");
    const deflated = await ocf("deflate");
    expect(deflated.length).toBeLessThan(plain.length / 2);
    const all = async (b: Buffer) => {
      const out: unknown[] = [];
      for await (const block of readOcf(Readable.from([b]))) out.push(...block);
      return out;
    };
    const records = await all(plain);
    expect(records).toHaveLength(envelopes.length);
    expect(await all(deflated)).toEqual(records);
    const recoded: Buffer[] = [];
    await recodeOcf(
      Readable.from([plain]),
      new Writable({
        write(c, _e, cb) {
          recoded.push(c);
          cb();
        },
      }),
      "deflate",
    );
    expect(await all(Buffer.concat(recoded))).toEqual(records);
  });

  it("rebuilds the same book from either codec as the live matcher had", async () => {
    const live = session.captures.filter((c) => c.pair === "EURUSD").at(-1);
    for (const codec of ["null", "deflate"] as const) {
      const r = await bookFromOcf(
        Readable.from([await ocf(codec)]),
        "EURUSD",
        { kind: "latest" },
        REFERENCE_CATALOG,
      );
      expect(r.codec).toBe(codec);
      expect(r.reader).toBe("compiled");
      expect(r.records).toBe(envelopes.length);
      if (live !== undefined) expect(r.stateHash).toBe(live.stateHash);
    }
  });

  it("selective reader: skips what is not selected, decodes the rest like the serde", async () => {
    const schema = exportSchema(catalog);
    const sel = compileSelectiveReader(schemaTree(schema), "event", (name) =>
      name === "fx.events.TimeAdvanced"
        ? schemaTree(catalog.current("TimeAdvanced")!.schema)
        : undefined,
    );
    const file = await ocf("null");
    const o = await openOcf(Readable.from([file]));
    const got: Envelope[] = [];
    for await (const { count, data } of o.blocks) {
      let pos = 0;
      for (let i = 0; i < count; i++) {
        const env = sel.read(data, pos, data.length);
        pos = sel.end();
        if (env !== null) got.push(env);
      }
      expect(pos).toBe(data.length);
    }
    const want = envelopes.filter((e) => e.payload.type === "TimeAdvanced");
    expect(got).toEqual(want.map((e) => ({ meta: e.meta, payload: e.payload })));
  });
});
