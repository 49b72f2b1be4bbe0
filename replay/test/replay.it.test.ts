// Regulator replay over a seeded trading session in a real Postgres, with the
// real schema registry: lifecycles, book at T, re-execution, integrity, exports,
// bad arguments. The corruption checks run last: they change the stored log.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type DomainEvent, ordersInvolved, REFERENCE_CATALOG } from "@fxcore/domain";
import { migrateEventStore, PostgresEventStore } from "@fxcore/event-store";
import { createPgPool, type PgPool } from "@fxcore/infra";
import { createTestDatabase, infraSettings, type TestDatabase } from "@fxcore/infra/testing";
import { canonicalBytes, migrateProjection, recordDigest } from "@fxcore/projection-service";
import { createSerde, readerType, type Serde } from "@fxcore/schemas";
import avro from "avsc";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  bookAt,
  bookFromOcf,
  type EventDecoder,
  EXIT,
  type ExportFormat,
  eventDecoder,
  exportLog,
  fromAvroRecord,
  lifecycle,
  type ReplayContext,
  readOcf,
  reexecute,
  regulatorApi,
  runCli,
  verifyIntegrity,
  withReadSession,
} from "../src/index.ts";
import { CopyOutRows } from "../src/log/input-copy.ts";
import { EXECUTIONS_TOPIC, seedSession } from "./support/seed.ts";
import { buildSession, type Session, sessionEvents } from "./support/session.ts";

let db: TestDatabase;
let pool: PgPool;
let store: PostgresEventStore;
let serde: Serde;
let decode: EventDecoder;
let session: Session;
let dir: string;

beforeAll(async () => {
  db = await createTestDatabase("replay");
  pool = createPgPool({ connectionString: db.url, applicationName: "replay-test", max: 6 });
  await migrateEventStore(pool);
  await migrateProjection(pool);
  store = new PostgresEventStore(pool);
  serde = createSerde({ registryUrl: infraSettings().SCHEMA_REGISTRY_URL });
  // With the registry URL: book at T decodes with readers compiled per schema id (ADR 084).
  decode = eventDecoder(serde, { registryUrl: infraSettings().SCHEMA_REGISTRY_URL });
  session = buildSession({ n: 700, pairs: ["EURUSD", "USDJPY"], seed: 23, captureEvery: 70 });
  await seedSession(pool, store, serde, session, { audit: true });
  await recordDigest(pool);
  await untilReadable(pool);
  dir = await mkdtemp(join(tmpdir(), "fxcore-replay-"));
}, 420_000);

afterAll(async () => {
  await store?.close();
  await pool?.end();
  await db?.drop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/**
 * Replay reads a pair's inputs below the gap-safe watermark, which is
 * cluster-wide: a long transaction of another suite on the shared Postgres
 * holds it back. Wait until every seeded event is below it.
 */
async function untilReadable(p: PgPool): Promise<void> {
  for (const deadline = Date.now() + 150_000; Date.now() < deadline; ) {
    const { rows } = await p.query<{ ok: boolean }>(
      "SELECT (SELECT max(transaction_id) FROM es_events) < pg_snapshot_xmin(pg_current_snapshot()) AS ok",
    );
    if (rows[0]?.ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error("the event store watermark did not pass the seeded events in 150 s");
}

const read = <T>(fn: Parameters<typeof withReadSession<T>>[1]) => withReadSession(pool, fn);
const unwrap = <T>(r: { ok: true; value: T } | { ok: false; error: { message: string } }): T => {
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
};

const cliContext = (): ReplayContext => ({
  pool: createPgPool({ connectionString: db.url, applicationName: "replay-cli-test", max: 2 }),
  serde,
  decode,
  instruments: REFERENCE_CATALOG,
  async close() {
    await this.pool.end();
  },
});
const cli = async (...argv: string[]) => {
  let out = "";
  let err = "";
  const code = await runCli(argv, {
    stdout: (t) => {
      out += t;
    },
    stderr: (t) => {
      err += t;
    },
    context: cliContext,
  });
  return { code, out, err };
};

describe("the seeded session", () => {
  it("has cancels, replaces, partial fills, expiries and rejects across two pairs", () => {
    const types = new Map<string, number>();
    for (const { event } of sessionEvents(session))
      types.set(event.type, (types.get(event.type) ?? 0) + 1);
    for (const t of [
      "OrderCancelled",
      "OrderReplaced",
      "TradeExecuted",
      "OrderExpired",
      "OrderRejected",
      "CancelRejected",
    ]) {
      expect(types.get(t) ?? 0, t).toBeGreaterThan(0);
    }
    const partial = sessionEvents(session).some(
      ({ event }) =>
        event.type === "TradeExecuted" && (event.makerLeavesQty > 0 || event.takerLeavesQty > 0),
    );
    expect(partial).toBe(true);
  });
});

describe("lifecycle", () => {
  const expectedFor = (id: string) =>
    sessionEvents(session)
      .filter(({ event }) => ordersInvolved(event).includes(id as never))
      .map((e) => e.eventId);

  const sampled = () => {
    // Orders with the most history: replaces, several fills, a cancel.
    const counts = new Map<string, number>();
    for (const { event } of sessionEvents(session))
      for (const id of ordersInvolved(event)) counts.set(id, (counts.get(id) ?? 0) + 1);
    const rich = [...counts]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 6)
      .map(([id]) => id);
    const replaced = sessionEvents(session).find(({ event }) => event.type === "OrderReplaced")!
      .event as {
      orderId: string;
    };
    return [...new Set([...rich, replaced.orderId])];
  };

  it("lists every event of sampled orders, in order, with a report for each outcome", async () => {
    for (const id of sampled()) {
      const l = unwrap(await read((s) => lifecycle(s, { orderId: id }, decode)));
      expect(
        l.entries.map((e) => e.eventId),
        id,
      ).toEqual(expectedFor(id));
      expect(l.entries.filter((e) => e.violation !== null)).toEqual([]);
      // Every matcher outcome and the acceptance sent an ExecutionReport (or a cancel reject).
      for (const e of l.entries) {
        if (e.eventType === "OrderCancelRequested" || e.eventType === "OrderReplaceRequested")
          continue;
        expect(e.report, `${id} ${e.eventType}`).not.toBeNull();
      }
      const last = l.entries.at(-1)!.report;
      if (last?.msgType === "8") expect(l.ordStatus).toBe(last.ordStatus);
      // CumQty on the reports is the running sum of the fills' LastQty.
      let cum = 0;
      for (const e of l.entries) {
        if (e.report?.msgType === "8" && e.report.lastQty !== null) {
          cum += e.report.lastQty;
          expect(e.report.cumQty).toBe(cum);
        }
      }
    }
  });

  it("finds an order by account and any ClOrdID of its replace chain", async () => {
    const replaced = sessionEvents(session).find(({ event }) => event.type === "OrderReplaced")!
      .event as DomainEvent & { type: "OrderReplaced" };
    const byId = unwrap(await read((s) => lifecycle(s, { orderId: replaced.orderId }, decode)));
    expect(byId.clOrdIds).toContain(replaced.clOrdId);
    expect(byId.clOrdIds).toContain(replaced.origClOrdId);
    for (const c of byId.clOrdIds) {
      const l = unwrap(
        await read((s) => lifecycle(s, { account: replaced.account, clOrdId: c }, decode)),
      );
      expect(l.orderId).toBe(replaced.orderId);
      expect(l.entries.map((e) => e.eventId)).toEqual(byId.entries.map((e) => e.eventId));
    }
  });

  it("shows a request rejected before it got an order id, found by account and ClOrdID", async () => {
    const step = session.steps.find((s) => s.stream.startsWith("request-"))!;
    const rejected = step.input.payload as DomainEvent & { type: "OrderRejected" };
    const l = unwrap(
      await read((s) =>
        lifecycle(s, { account: rejected.account, clOrdId: rejected.clOrdId }, decode),
      ),
    );
    expect(l.orderId).toBeNull();
    expect(l.entries.map((e) => e.eventId)).toEqual([step.input.meta.eventId]);
    expect(l.entries[0]?.report).toMatchObject({ msgType: "8", execType: "8", ordStatus: "8" });
  });

  it("rejects an unknown order with NOT_FOUND", async () => {
    const r = await read((s) => lifecycle(s, { orderId: "no-such-order" }, decode));
    expect(r).toMatchObject({ ok: false, error: { kind: "NOT_FOUND" } });
  });
});

describe("book at T", () => {
  it("equals the live engine's book at every captured instant", async () => {
    expect(session.captures.length).toBeGreaterThanOrEqual(10);
    for (const c of session.captures) {
      const b = unwrap(
        await read((s) =>
          bookAt(s, c.pair, { kind: "time", ns: c.at }, { catalog: REFERENCE_CATALOG, decode }),
        ),
      );
      expect(b.depth, `${c.pair} after step ${c.afterStep}`).toEqual(c.depth);
      expect(b.resting).toEqual(c.resting);
      expect(b.stateHash).toBe(c.stateHash);
      expect(b.lastSeq).toBe(c.seq);
    }
  });

  it("rebuilds the book as of a pair sequence number", async () => {
    const c = session.captures.filter((x) => x.pair === "EURUSD" && x.seq > 0).at(-3)!;
    // The step that produced the capture's last seq, and no later input with outputs.
    const b = unwrap(
      await read((s) =>
        bookAt(s, "EURUSD", { kind: "seq", seq: c.seq }, { catalog: REFERENCE_CATALOG, decode }),
      ),
    );
    expect(b.lastSeq).toBeGreaterThanOrEqual(c.seq);
    const atT = unwrap(
      await read((s) =>
        bookAt(
          s,
          "EURUSD",
          { kind: "time", ns: b.lastInput!.transactTime },
          { catalog: REFERENCE_CATALOG, decode },
        ),
      ),
    );
    expect(atT.stateHash).toBe(b.stateHash);
  });

  it("reads in pages and through the serde alike, and leaves the session usable after stopping early", async () => {
    const serdeOnly = eventDecoder(serde);
    expect(serdeOnly.payloads.readerFor(1)).toBeUndefined();
    const mid = session.captures.filter((c) => c.pair === "USDJPY").at(4)!;
    const end = session.captures.filter((c) => c.pair === "USDJPY").at(-1)!;
    await read(async (s) => {
      for (const [d, pageRows] of [
        [decode, 7],
        [serdeOnly, 50],
        [decode, undefined],
      ] as const) {
        const opts = { catalog: REFERENCE_CATALOG, decode: d, ...(pageRows ? { pageRows } : {}) };
        // Stops inside a page: the rest of the page is drained, the next read works.
        const b = unwrap(await bookAt(s, "USDJPY", { kind: "time", ns: mid.at }, opts));
        expect(b.stateHash).toBe(mid.stateHash);
        expect(b.resting).toEqual(mid.resting);
        const l = unwrap(await bookAt(s, "USDJPY", { kind: "latest" }, opts));
        expect(l.lastSeq).toBeGreaterThanOrEqual(end.seq);
      }
      expect(decode.payloads.stats.serde).toEqual([]);
      expect(decode.payloads.stats.compiled.length).toBeGreaterThanOrEqual(4);
      return null;
    });
  });

  it("COPY reader: rows across socket reads, and errors (server's or ours) leave the connection usable", async () => {
    const client = await pool.connect();
    try {
      const run = async (select: string) => {
        const copy = new CopyOutRows(`COPY (${select}) TO STDOUT (FORMAT binary)`);
        void client.query(copy as never);
        const rows: { position: number; size: number }[] = [];
        for (let b = await copy.next(); b !== null; b = await copy.next()) {
          for (let i = 0; i < b.count; i++) {
            rows.push({ position: b.position[i]!, size: b.end[i]! - b.start[i]! });
          }
        }
        return { rows, xid: copy.lastXid() };
      };
      // 20,000 rows of growing payloads: many socket reads, messages straddling them.
      const ok = await run(
        "SELECT (g + 4000000000)::text::xid8, g::bigint, decode(repeat('ab', g % 300), 'hex') FROM generate_series(1, 20000) g",
      );
      expect(ok.rows).toHaveLength(20_000);
      expect(ok.rows[19_999]).toEqual({ position: 20_000, size: 20_000 % 300 });
      expect(ok.rows.every((r, i) => r.position === i + 1 && r.size === (i + 1) % 300)).toBe(true);
      expect(ok.xid).toBe(4_000_020_000n);
      // The server fails mid-stream.
      await expect(
        run(
          "SELECT g::text::xid8, (100 / (15000 - g))::bigint, decode('00', 'hex') FROM generate_series(1, 20000) g",
        ),
      ).rejects.toThrow(/division by zero/);
      expect((await client.query("SELECT 41 + 1 AS n")).rows[0]).toEqual({ n: 42 });
      // Rows we cannot read (two columns).
      await expect(
        run("SELECT g::bigint, g::bigint FROM generate_series(1, 5000) g"),
      ).rejects.toThrow(/row layout/);
      expect((await client.query("SELECT 41 + 1 AS n")).rows[0]).toEqual({ n: 42 });
    } finally {
      client.release();
    }
  });

  it("refuses T before the first event and a seq beyond the end", async () => {
    const early = await read((s) =>
      bookAt(s, "EURUSD", { kind: "time", ns: 1n }, { catalog: REFERENCE_CATALOG, decode }),
    );
    expect(early).toMatchObject({ ok: false, error: { kind: "OUT_OF_RANGE" } });
    const late = await read((s) =>
      bookAt(s, "EURUSD", { kind: "seq", seq: 10_000_000 }, { catalog: REFERENCE_CATALOG, decode }),
    );
    expect(late).toMatchObject({ ok: false, error: { kind: "OUT_OF_RANGE" } });
    const none = await read((s) =>
      bookAt(s, "GBPUSD", { kind: "latest" }, { catalog: REFERENCE_CATALOG, decode }),
    );
    expect(none).toMatchObject({ ok: false, error: { kind: "NOT_FOUND" } });
  });
});

describe("re-execution", () => {
  it("finds no divergence, every recorded output compared", async () => {
    for (const pair of session.pairs) {
      const outputs = session.steps
        .flatMap((s) => s.outputs)
        .filter((o) => (o.payload as { symbol: string }).symbol === pair);
      const r = unwrap(
        await read((s) => reexecute(s, pair, { catalog: REFERENCE_CATALOG, decode })),
      );
      expect(r.divergence).toBeNull();
      expect(r.matched).toBe(outputs.length);
      expect(r.unrecordedTail).toBe(0);
    }
  });

  it("checks a seq range", async () => {
    const r = unwrap(
      await read((s) =>
        reexecute(s, "EURUSD", { catalog: REFERENCE_CATALOG, decode, fromSeq: 10, toSeq: 40 }),
      ),
    );
    expect(r.divergence).toBeNull();
    expect(r.matched).toBe(31);
  });
});

describe("exports", () => {
  const exportTo = async (format: ExportFormat, file: string, filter = {}) => {
    const out = createWriteStream(file);
    const r = await read((s) =>
      exportLog(s, {
        format,
        filter,
        decode,
        catalog: serde.catalog,
        sink: async (chunk) => {
          if (!out.write(chunk)) await once(out, "drain");
        },
      }),
    );
    out.end();
    await once(out, "close");
    return unwrap(r);
  };
  const logOrder = () =>
    read(async (s) => {
      const rows = await s.query<{ event_id: string }>(
        "SELECT event_id FROM es_events ORDER BY transaction_id, global_position",
      );
      return rows.map((r) => r.event_id);
    });

  it("Avro OCF read back with its embedded schema equals the event log", async () => {
    const file = join(dir, "all.avro");
    const summary = await exportTo("avro", file);
    const ids = await logOrder();
    expect(summary.written).toBe(ids.length);
    const byId = new Map(sessionEvents(session).map((e) => [e.eventId, e.event]));
    const metaById = new Map(
      session.steps.flatMap((s) => [s.input, ...s.outputs]).map((e) => [e.meta.eventId, e.meta]),
    );
    // An independent reader: avsc's own container decoder, with only the file's schema.
    const records: Record<string, unknown>[] = [];
    await new Promise<void>((resolve, reject) => {
      avro
        .createFileDecoder(file, {
          parseHook: (schema: unknown) => readerType(schema as never),
        } as never)
        .on("data", (r: Record<string, unknown>) => records.push(r))
        .on("error", reject)
        .on("end", resolve);
    });
    expect(records.map((r) => r.eventId)).toEqual(ids);
    for (const r of records) {
      const back = fromAvroRecord(r, serde.catalog);
      expect(canonicalBytes(back.event).toString()).toBe(
        canonicalBytes(byId.get(back.eventId)).toString(),
      );
      expect(canonicalBytes(back.meta).toString()).toBe(
        canonicalBytes(metaById.get(back.eventId)).toString(),
      );
    }
    // An auditor holding only the file rebuilds the same books.
    for (const c of session.captures.slice(-4)) {
      const fromFile = await bookFromOcf(
        createReadStream(file),
        c.pair,
        { kind: "time", ns: c.at },
        REFERENCE_CATALOG,
      );
      expect(fromFile.stateHash).toBe(c.stateHash);
      expect(fromFile.lastSeq).toBe(c.seq);
    }
    // And our streaming reader agrees.
    let n = 0;
    for await (const block of readOcf(createReadStream(file, { highWaterMark: 4096 })))
      n += block.length;
    expect(n).toBe(ids.length);
  });

  it("JSON Lines and CSV hold the same events; filters by pair, account and time", async () => {
    const ids = await logOrder();
    const jsonl = join(dir, "all.jsonl");
    await exportTo("jsonl", jsonl);
    const lines = (await readFile(jsonl, "utf8"))
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.eventId)).toEqual(ids);
    expect(lines.find((l) => l.eventType === "OrderAccepted").regulatoryCode).toBe("NEW");

    const csv = join(dir, "usdjpy.csv");
    const s = await exportTo("csv", csv, { pair: "USDJPY" });
    const rows = (await readFile(csv, "utf8")).trim().split("\n");
    expect(rows[0]!.split(",")[0]).toBe("global_position");
    expect(rows.length - 1).toBe(s.written);
    const usdjpy = sessionEvents(session).filter(({ event }) => event.symbol === "USDJPY").length;
    expect(s.written).toBe(usdjpy);

    const from = session.steps[100]!.input.payload.transactTime as bigint;
    const to = session.steps[200]!.input.payload.transactTime as bigint;
    const acc = await exportTo("jsonl", join(dir, "acc.jsonl"), {
      account: "ACC2",
      fromNs: from,
      toNs: to,
    });
    const want = sessionEvents(session).filter(({ event }) => {
      const accounts =
        event.type === "TradeExecuted"
          ? [event.makerAccount, event.takerAccount]
          : "account" in event
            ? [event.account]
            : [];
      return (
        accounts.includes("ACC2" as never) && event.transactTime >= from && event.transactTime < to
      );
    }).length;
    expect(acc.written).toBe(want);
    expect(want).toBeGreaterThan(0);
  });
});

describe("read-only and live", () => {
  it("a replay session cannot write", async () => {
    await expect(read((s) => s.query("DELETE FROM es_events"))).rejects.toThrow(/read-only/);
  });

  it("does not block writers while a cursor is open", async () => {
    await read(async (s) => {
      const it = s.batches<{ global_position: string }>(
        "SELECT global_position FROM es_events ORDER BY global_position",
        [],
        10,
      );
      await it.next();
      // A writer commits while the replay transaction is open mid-scan.
      const r = await Promise.race([
        store.append("live-check" as never, "any", [
          {
            eventId: "00000000-9999-4000-8000-000000000001" as never,
            type: "Probe",
            schemaId: 0,
            schemaVersion: 0,
            payload: Buffer.from([0]),
            metadata: {},
          },
        ]),
        new Promise((_, reject) => setTimeout(() => reject(new Error("writer blocked")), 5_000)),
      ]);
      expect(r).toMatchObject({ ok: true });
      await it.return(undefined);
    });
    await pool.query("DELETE FROM es_events WHERE stream_id = 'live-check'");
  });
});

describe("CLI arguments", () => {
  it("answers bad arguments with a message and a non-zero exit code", async () => {
    const cases: [string[], number, RegExp][] = [
      [["lifecycle", "--order", "nope"], EXIT.notFound, /unknown order nope/],
      [
        ["lifecycle", "--account", "ACC1", "--clordid", "nope"],
        EXIT.notFound,
        /no order of account ACC1/,
      ],
      [["lifecycle"], EXIT.usage, /needs --order/],
      [
        ["book", "--pair", "EURUSD", "--at", "2001-01-01T00:00:00Z"],
        EXIT.notFound,
        /before the first event/,
      ],
      [["book", "--pair", "EURUSD", "--at", "yesterday"], EXIT.usage, /malformed instant/],
      [["book", "--pair", "EURUSD"], EXIT.usage, /exactly one of/],
      [["book", "--pair", "EUR-USD", "--latest"], EXIT.usage, /malformed pair/],
      [
        ["reexecute", "--pair", "EURUSD", "--from-seq", "50", "--to-seq", "10"],
        EXIT.usage,
        /--to-seq must be/,
      ],
      [
        ["reexecute", "--pair", "EURUSD", "--from-seq", "-3"],
        EXIT.usage,
        /--from-seq|unknown option|argument/i,
      ],
      [["export", "--format", "xml", "--out", "x"], EXIT.usage, /--format/],
      [
        [
          "export",
          "--format",
          "csv",
          "--out",
          join(dir, "x.csv"),
          "--from",
          "2026-01-02T00:00:00Z",
          "--to",
          "2026-01-01T00:00:00Z",
        ],
        EXIT.usage,
        /empty time range/,
      ],
      [["integrity", "--pair", "GBPUSD"], EXIT.notFound, /no audit chain for GBPUSD/],
      [["frobnicate"], EXIT.usage, /unknown command/],
    ];
    for (const [argv, code, message] of cases) {
      const r = await cli(...argv);
      expect(r.code, argv.join(" ")).toBe(code);
      expect(r.err, argv.join(" ")).toMatch(message);
    }
  });

  it("runs as a process: text output, exit code 0, and 3 for an unknown order", async () => {
    const cliPath = fileURLToPath(new URL("../src/cli.ts", import.meta.url));
    const env = {
      ...process.env,
      DATABASE_URL: db.url,
      SCHEMA_REGISTRY_URL: infraSettings().SCHEMA_REGISTRY_URL,
    };
    const runProcess = (args: string[]) =>
      new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
        const p = spawn(process.execPath, [cliPath, ...args], { env });
        let out = "";
        let err = "";
        p.stdout.on("data", (d) => (out += d));
        p.stderr.on("data", (d) => (err += d));
        p.on("close", (code) => resolve({ code, out, err }));
      });
    const ok = await runProcess(["book", "--pair", "USDJPY", "--latest", "--levels", "3"]);
    expect(ok.code, ok.err).toBe(0);
    // Progress goes to stderr, the result to stdout.
    expect(ok.err).toMatch(/^book: \d+ inputs applied\n/);
    expect(ok.out).toMatch(/USDJPY after \d+ inputs/);
    const missing = await runProcess(["lifecycle", "--order", "O-missing"]);
    expect(missing.code).toBe(EXIT.notFound);
    expect(missing.err).toMatch(/unknown order O-missing/);
  });
});

describe("integrity", () => {
  it("verifies the chains and digests and ties every stored event to its chain record", async () => {
    const r = unwrap(await read((s) => verifyIntegrity(s, { decode })));
    expect(r.problem).toBeNull();
    expect(r.eventsChecked).toBe(sessionEvents(session).length);
    expect(r.heads.map((h) => h.pair)).toEqual(["EURUSD", "USDJPY"]);
    expect(r.latestDigest?.merkleRoot).toBe(r.merkleRoot);
    const text = await cli("integrity");
    expect(text.code).toBe(EXIT.ok);
    expect(text.out).toContain(`merkle root ${r.merkleRoot}`);
  });
});

describe("regulator API (for query-api)", () => {
  it("answers JSON bodies with HTTP statuses", async () => {
    const api = regulatorApi({ pool, decode, instruments: REFERENCE_CATALOG, serde });
    const book = await api.book({ pair: "USDJPY", latest: "true" });
    expect(book.status).toBe(200);
    expect((book.body as { pair: string }).pair).toBe("USDJPY");
    expect((await api.book({ pair: "USDJPY", at: "1" })).status).toBe(422);
    expect((await api.book({ pair: "USDJPY", at: "noon" })).status).toBe(400);
    expect((await api.lifecycle({ orderId: "nope" })).status).toBe(404);
    const chunks: Buffer[] = [];
    const ex = await api.export({ format: "jsonl", pair: "USDJPY" }, async (c) => {
      chunks.push(c);
    });
    expect(ex.status).toBe(200);
    expect(Buffer.concat(chunks).toString().trim().split("\n")).toHaveLength(
      (ex.body as { written: number }).written,
    );
    expect(
      (
        await api.export(
          { format: "jsonl", from: "2026-01-02T00:00:00Z", to: "2026-01-01T00:00:00Z" },
          async () => {},
        )
      ).status,
    ).toBe(400);
  });
});

describe("a corrupted stored event", () => {
  it("is caught by re-execution (first divergence) and by the chain check", async () => {
    // Rewrite one recorded trade with a different quantity, properly encoded: only the rules can tell.
    const trade = session.steps
      .flatMap((s) => s.outputs)
      .filter(
        (o) =>
          o.payload.type === "TradeExecuted" &&
          (o.payload as { symbol: string }).symbol === "EURUSD",
      )[5]!;
    const seq = Number(trade.meta.pairSeq);
    const forged = await serde.encode(EXECUTIONS_TOPIC, {
      meta: trade.meta,
      payload: {
        ...(trade.payload as DomainEvent & { type: "TradeExecuted" }),
        qty: (trade.payload as { qty: number }).qty + 1_000,
      } as never,
    });
    await pool.query("UPDATE es_events SET payload = $1 WHERE event_id = $2", [
      forged,
      trade.meta.eventId,
    ]);

    const r = unwrap(
      await read((s) => reexecute(s, "EURUSD", { catalog: REFERENCE_CATALOG, decode })),
    );
    expect(r.divergence).toMatchObject({ seq, kind: "PAYLOAD" });
    expect(r.divergence?.detail).toMatch(/^qty:/);
    const viaCli = await cli("reexecute", "--pair", "EURUSD");
    expect(viaCli.code).toBe(EXIT.failed);
    expect(viaCli.out).toContain(`DIVERGENCE at seq ${seq}`);

    const i = unwrap(await read((s) => verifyIntegrity(s, { decode, pairs: ["EURUSD"] })));
    expect(i.problem).toMatchObject({
      check: "STORE_VS_AUDIT",
      problem: "EVENT_DIFFERS_FROM_AUDIT",
      eventId: trade.meta.eventId,
    });

    // Bytes that no longer decode are reported, not skipped.
    const other = session.steps
      .flatMap((s) => s.outputs)
      .filter((o) => (o.payload as { symbol: string }).symbol === "USDJPY")[3]!;
    await pool.query(
      "UPDATE es_events SET payload = substring(payload from 1 for 9) WHERE event_id = $1",
      [other.meta.eventId],
    );
    const u = unwrap(
      await read((s) => reexecute(s, "USDJPY", { catalog: REFERENCE_CATALOG, decode })),
    );
    expect(u.divergence).toMatchObject({ seq: Number(other.meta.pairSeq), kind: "UNDECODABLE" });
  });
});
