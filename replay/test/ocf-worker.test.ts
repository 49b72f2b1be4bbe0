// Book from an OCF file on two threads (ADR 089): the decode worker's tapes
// must give the engine exactly the inputs the one-thread path gives it. The
// tape against the compiled input reader record by record; whole rebuilds
// (both codecs, every kind of AsOf, duplicates, poison, non-ASCII strings, an
// entry larger than a tape's string area) against the one-thread path and
// the live matcher; broken files fail with the one-thread path's message.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { type MatcherInput, REFERENCE_CATALOG } from "@fxcore/domain";
import { type Envelope, loadCatalog } from "@fxcore/schemas";
import { afterAll, describe, expect, it } from "vitest";
import {
  KIND_OF_RECORD,
  newTapeBuffers,
  TapeReader,
  TapeWriter,
  tapeEnums,
  tapeLayout,
} from "../src/book/input-tape.ts";
import { compileSelectiveReader, compileTapeReader } from "../src/codec/avro-compiler.ts";
import { schemaTree } from "../src/codec/avro-schema.ts";
import { type AsOf, bookFromOcf, openOcf } from "../src/index.ts";
import { ocfBytes } from "./support/ocf.ts";
import { buildSession } from "./support/session.ts";

const catalog = loadCatalog();
const session = buildSession({ n: 4_000, pairs: ["EURUSD", "USDJPY"], seed: 13 });
const clean: Envelope[] = session.steps.flatMap((s) => [s.input, ...s.outputs]);
const dir = mkdtempSync(join(tmpdir(), "fxcore-ocf-worker-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The session with republished inputs, poison, non-ASCII strings and one huge order id mixed in. */
function troubled(): Envelope[] {
  const out: Envelope[] = [];
  const accepted = clean.filter((e) => e.payload.type === "OrderAccepted");
  const edit = (e: Envelope, payload: Record<string, unknown>, id: string): Envelope => ({
    meta: { ...e.meta, eventId: id },
    payload: { ...(e.payload as unknown as Record<string, unknown>), ...payload } as never,
  });
  clean.forEach((e, k) => {
    out.push(e);
    if (k % 211 === 0 && k > 0) out.push(clean[k - 1]!); // a duplicate id (or a repeated output)
    if (k % 997 === 0) {
      const a = accepted[k % accepted.length]!;
      out.push(edit(a, { qty: 0, orderId: `P${k}` }, `p-${k}`));
      out.push(edit(a, { ordType: "MARKET", orderId: `Q${k}` }, `q-${k}`));
      out.push(edit(a, { ordType: "LIMIT", price: null, orderId: `Q2${k}` }, `q2-${k}`));
      out.push(edit(a, { minQty: 0, orderId: `M${k}` }, `m-${k}`));
      out.push(edit(a, { orderId: `Ü${k}`, clOrdId: `ç${k}`, account: "ACCÉ" }, `ü-${k}-é`));
      out.push(edit(a, { orderId: `V${k}` }, `ü-${k}-é`)); // same non-ASCII id: a duplicate
    }
  });
  const a = accepted[7]!;
  out.push(edit(a, { orderId: `H${"x".repeat(600_000)}`, price: 1 }, "huge"));
  out.push(edit(a, { orderId: "after-huge", account: `A${"y".repeat(50)}` }, "after"));
  return out;
}

async function ocfFile(name: string, envelopes: Envelope[], codec: "null" | "deflate") {
  const bytes = await ocfBytes(catalog, envelopes, codec);
  const path = join(dir, `${name}-${codec}.avro`);
  writeFileSync(path, bytes);
  return path;
}

const readers = new Map(
  [...KIND_OF_RECORD.keys()].map((n) => {
    const t = n.slice(n.lastIndexOf(".") + 1);
    return [t, schemaTree(catalog.current(t)!.schema)] as const;
  }),
);
const enums = tapeEnums(readers)!;

describe("input tape", () => {
  it("carries every field of every input as the compiled reader builds it", async () => {
    expect(enums).toBeDefined();
    const path = await ocfFile("tape", troubled(), "null");
    const o = await openOcf(Readable.from([readFileSync(path)]));
    const tree = schemaTree(o.schema);
    const readerFor = (name: string) => readers.get(name.slice(name.lastIndexOf(".") + 1));
    const objects = compileSelectiveReader(tree, "event", readerFor, "input");
    let checked = 0;
    for (const pair of ["EURUSD", "USDJPY"]) {
      const tape = compileTapeReader(
        tree,
        "event",
        readerFor,
        KIND_OF_RECORD,
        tapeLayout(enums),
        pair,
      );
      const writer = new TapeWriter(enums, newTapeBuffers(1 << 21));
      const back = new TapeReader(enums, pair);
      const o2 = await openOcf(Readable.from([readFileSync(path)]));
      for await (const { count, data } of o2.blocks) {
        let pos = 0;
        for (let i = 0; i < count; i++) {
          const want = objects.read(data, pos, data.length) as MatcherInput | null;
          const kind = tape.read(data, pos, data.length, writer);
          expect(tape.end()).toBe(objects.end());
          pos = tape.end();
          expect(kind >= 0).toBe(want !== null);
          if (want === null || !tape.samePair()) {
            if (want !== null) expect(want.symbol).not.toBe(pair);
            continue;
          }
          expect(want.symbol).toBe(pair);
          expect([tape.idStart(), tape.idEnd()]).toEqual([objects.idStart(), objects.idEnd()]);
          expect(tape.overflow()).toBe(false);
          expect(
            writer.accountFits(tape.stringsEnd(), data, tape.accountStart(), tape.accountEnd()),
          ).toBe(true);
          writer.commit(i + 1, tape.stringsEnd(), data, tape.accountStart(), tape.accountEnd());
          back.load(writer.buffers);
          expect({ ...back.input(writer.n - 1)! }).toEqual(want);
          checked++;
          if (writer.full) writer.reset(newTapeBuffers(1 << 21));
        }
      }
    }
    expect(checked).toBeGreaterThan(4_000);
  });

  it("does not model a reader schema with another shape", () => {
    const changed = new Map(readers);
    const r = changed.get("OrderAccepted")!;
    if (r.k !== "record") throw new Error("not a record");
    changed.set("OrderAccepted", { ...r, fields: r.fields.filter((f) => f.name !== "minQty") });
    expect(tapeEnums(changed)).toBeUndefined();
  });
});

describe("book from an OCF file on two threads = on one thread = the live matcher", () => {
  const same = async (path: string, pair: string, asOf: AsOf) => {
    const two = await bookFromOcf(path, pair, asOf, REFERENCE_CATALOG);
    const one = await bookFromOcf(
      Readable.from([readFileSync(path)]),
      pair,
      asOf,
      REFERENCE_CATALOG,
    );
    expect(two.threads).toBe("worker");
    expect(one.threads).toBe("inline");
    const { threads: _t, workerCpuMicros: _c, workerStarted: _s, ...twoRest } = two;
    const { threads: _u, ...oneRest } = one;
    expect(twoRest).toEqual(oneRest);
    return two;
  };

  for (const codec of ["null", "deflate"] as const) {
    it(`session (${codec}): every capture by time and by seq, and the end`, async () => {
      const path = await ocfFile("session", clean, codec);
      for (const c of session.captures) {
        const r = await same(path, c.pair, { kind: "time", ns: c.at });
        expect(r.stateHash).toBe(c.stateHash);
        expect(r.lastSeq).toBe(c.seq);
        if (c.seq > 0)
          expect((await same(path, c.pair, { kind: "seq", seq: c.seq })).lastSeq).toBe(c.seq);
      }
      for (const pair of ["EURUSD", "USDJPY", "GBPUSD"]) await same(path, pair, { kind: "latest" });
    });
  }

  it("the decode worker is kept between rebuilds: a rebuild stopped early leaves it usable, later ones reuse it", async () => {
    const path = await ocfFile("kept", clean, "null");
    const full = await same(path, "EURUSD", { kind: "latest" });
    const early = await same(path, "EURUSD", { kind: "seq", seq: 5 });
    expect(early.lastSeq).toBeGreaterThanOrEqual(5);
    expect(early.lastSeq).toBeLessThan(full.lastSeq);
    const again = await bookFromOcf(path, "EURUSD", { kind: "latest" }, REFERENCE_CATALOG);
    expect(again.workerStarted).toBe(false);
    expect(again.stateHash).toBe(full.stateHash);
    expect(again.inputsApplied).toBe(full.inputsApplied);
    // Two rebuilds at once: the second gets a worker of its own; both right.
    const [a, b] = await Promise.all([
      bookFromOcf(path, "EURUSD", { kind: "latest" }, REFERENCE_CATALOG),
      bookFromOcf(path, "USDJPY", { kind: "latest" }, REFERENCE_CATALOG),
    ]);
    expect([a.workerStarted, b.workerStarted].filter((s) => s === true)).toHaveLength(1);
    expect(a.stateHash).toBe(full.stateHash);
    expect(b.stateHash).toBe((await same(path, "USDJPY", { kind: "latest" })).stateHash);
  });

  it("more tapes than are in flight, the engine's thread held up: the writer waits for free tapes, and a stop while it waits", async () => {
    // ~14 tapes of one pair. Holding the engine's thread lets the writer fill every
    // tape in flight and wait to be woken at a freed one (freeWakeSlot); the engine's
    // thread itself waits to be woken at the fourth full tape (wakeSlot).
    const long = buildSession({ n: 30_000, pairs: ["EURUSD"], seed: 17, captureEvery: 30_000 });
    const path = await ocfFile(
      "long",
      long.steps.flatMap((s) => [s.input, ...s.outputs]),
      "null",
    );
    const held = async (asOf: AsOf) => {
      const hold = setTimeout(() => {
        const until = performance.now() + 150;
        while (performance.now() < until);
      }, 1);
      try {
        return await same(path, "EURUSD", asOf);
      } finally {
        clearTimeout(hold);
      }
    };
    const end = long.captures.at(-1)!;
    const full = await held({ kind: "latest" });
    expect(full.inputsApplied).toBeGreaterThan(20_000);
    expect(full.stateHash).toBe(end.stateHash);
    const early = await held({ kind: "seq", seq: 3_000 });
    expect(early.lastSeq).toBeGreaterThanOrEqual(3_000);
    expect(early.lastSeq).toBeLessThan(full.lastSeq);
    const again = await bookFromOcf(path, "EURUSD", { kind: "latest" }, REFERENCE_CATALOG);
    expect(again.workerStarted).toBe(false);
    expect(again.stateHash).toBe(full.stateHash);
  });

  it("duplicates, poison, non-ASCII ids and accounts, an entry larger than a tape's string area", async () => {
    const path = await ocfFile("troubled", troubled(), "null");
    // Twice per pair: the grown string area's message races the tape's hand-over.
    for (const pair of ["EURUSD", "USDJPY", "EURUSD", "USDJPY"]) {
      const r = await same(path, pair, { kind: "latest" });
      expect(r.inputsApplied).toBeGreaterThan(1_000);
    }
  });

  it("an unknown pair: every input poison on both paths", async () => {
    const path = await ocfFile("session-unknown", clean, "null");
    const r = await same(path, "XXXYYY", { kind: "latest" });
    expect(r.inputsApplied).toBe(0);
  });

  it("a broken file fails with the one-thread path's message", async () => {
    const path = await ocfFile("broken", clean, "null");
    const bytes = readFileSync(path);
    const cases: [string, Buffer][] = [
      ["truncated", bytes.subarray(0, bytes.length - 100)],
      ["not avro", Buffer.from("definitely not an Avro file")],
      [
        "garbage in a record",
        Buffer.concat([bytes.subarray(0, 9_000), Buffer.alloc(200, 0xff), bytes.subarray(9_200)]),
      ],
      ["bad sync", Buffer.concat([bytes.subarray(0, bytes.length - 3), Buffer.from([1, 2, 3])])],
    ];
    for (const [name, b] of cases) {
      const p = join(dir, `broken-${name.replaceAll(" ", "-")}.avro`);
      writeFileSync(p, b);
      const one = await bookFromOcf(
        Readable.from([b]),
        "EURUSD",
        { kind: "latest" },
        REFERENCE_CATALOG,
      ).then(
        () => "no error",
        (e: Error) => e.message,
      );
      const two = await bookFromOcf(p, "EURUSD", { kind: "latest" }, REFERENCE_CATALOG).then(
        () => "no error",
        (e: Error) => e.message,
      );
      expect(one, name).not.toBe("no error");
      expect(two, name).toBe(one);
    }
  });
});
