// COPY text encoding round trip: whatever a read model or the audit trail
// holds comes back byte for byte (tabs, newlines, backslashes, non-ASCII,
// nulls, bytea in both encodings).
import { withTransaction } from "@fxcore/infra";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BinaryCopyRows } from "../../src/projector/copy-binary.ts";
import { copyBytea, copyField, copyLines, copyRows } from "../../src/projector/copy-rows.ts";
import { type ProjectionDatabase, projectionDatabase } from "../harness.ts";

let database: ProjectionDatabase;

beforeAll(async () => {
  database = await projectionDatabase("copyrows", { migrate: false });
  await database.pool.query(
    "CREATE TABLE t (id int PRIMARY KEY, s text, n numeric, b boolean, raw bytea)",
  );
  await database.pool.query(
    "CREATE TABLE bin (id int PRIMARY KEY, s text, big bigint, raw bytea, doc jsonb, u uuid)",
  );
}, 60_000);
afterAll(async () => {
  await database?.close();
});

const texts = [
  "plain",
  "tab\there",
  "new\nline\r\n",
  "back\\slash \\N \\x41",
  "é € 日本",
  "",
  null,
];
const bytes = [
  Buffer.from('{"eventId":"x","event":{"qty":1}}'),
  Buffer.from('{"text":"a\\"b"}'),
  Buffer.from([0, 1, 2, 255, 92, 9, 10]),
  Buffer.from("é", "utf8"),
  Buffer.from("\\x41"),
  Buffer.alloc(0),
];

describe("COPY rows", () => {
  it("given awkward text, numbers and bytes, when copied in, then they read back unchanged", async () => {
    const rows = texts.flatMap((s, i) =>
      bytes.map((raw, j) => [i * 100 + j, s, 10n ** 30n + BigInt(i), j % 2 === 0, raw] as const),
    );
    await withTransaction(database.pool, async (tx) => {
      await copyRows(
        tx,
        "t",
        ["id", "s", "n", "b"],
        rows.slice(0, 10).map((r) => r.slice(0, 4)),
      );
      // bytea through copyBytea, as the audit trail writes it
      let lines = "";
      for (const [id, s, n, b, raw] of rows.slice(10))
        lines += `${id}\t${copyField(s)}\t${n}\t${copyField(b)}\t${copyBytea(raw)}\n`;
      await copyLines(tx, "t", ["id", "s", "n", "b", "raw"], lines);
    });
    const { rows: back } = await database.pool.query<{
      id: number;
      s: string | null;
      n: string;
      b: boolean;
      raw: Buffer | null;
    }>("SELECT id, s, n::text AS n, b, raw FROM t ORDER BY id");
    expect(back).toHaveLength(rows.length);
    const byId = new Map(back.map((r) => [r.id, r]));
    rows.forEach(([id, s, n, b, raw], k) => {
      const r = byId.get(id);
      expect(r?.s).toBe(s);
      expect(r?.n).toBe(n.toString());
      expect(r?.b).toBe(b);
      if (k >= 10) expect(r?.raw?.equals(raw)).toBe(true);
    });
  });

  it("given a row that breaks a constraint, then the COPY fails and the transaction writes nothing", async () => {
    await expect(
      withTransaction(database.pool, (tx) =>
        copyRows(
          tx,
          "t",
          ["id", "s"],
          [
            [9001, "a"],
            [9001, "b"],
          ],
        ),
      ),
    ).rejects.toThrow(/duplicate key/);
    const { rows } = await database.pool.query("SELECT 1 FROM t WHERE id = 9001");
    expect(rows).toHaveLength(0);
  });

  it("given awkward text, extreme integers, bytes and JSON, when copied in binary, then they read back unchanged", async () => {
    const bigs = [0n, -1n, 2n ** 63n - 1n, -(2n ** 63n), 1_800_000_000_600_000_000n];
    const rows = texts.flatMap((s, i) =>
      bytes.map((raw, j) => ({
        id: i * 100 + j,
        s,
        big: bigs[(i + j) % bigs.length] ?? 0n,
        raw: j === 1 ? null : raw,
        doc: JSON.stringify({ pairSeq: i * 7 + j, text: s }),
        u: `0000000${i}-00${j}f-5abc-8def-${String(i * 100 + j).padStart(12, "0")}`,
      })),
    );
    const out = new BinaryCopyRows();
    for (const r of rows) {
      out.row(6).int4(r.id);
      if (r.s === null) out.null();
      else out.text(r.s);
      out.int8(r.big);
      if (r.raw === null) out.null();
      else out.bytea(r.raw);
      out.jsonb(r.doc).uuid(r.u.toUpperCase());
    }
    expect(out.rows).toBe(rows.length);
    await withTransaction(database.pool, (tx) =>
      copyLines(tx, "bin", ["id", "s", "big", "raw", "doc", "u"], out.finish(), true),
    );
    const { rows: back } = await database.pool.query<{
      id: number;
      s: string | null;
      big: string;
      raw: Buffer | null;
      doc: unknown;
      u: string;
    }>("SELECT id, s, big::text AS big, raw, doc, u FROM bin ORDER BY id");
    expect(back).toEqual(
      rows.map((r) => ({ ...r, big: r.big.toString(), doc: JSON.parse(r.doc) })),
    );
  });

  it("given a binary stream with a field that does not fit its column, then the COPY fails", async () => {
    const out = new BinaryCopyRows().row(2).int4(1).int4(5);
    await expect(
      withTransaction(database.pool, (tx) =>
        copyLines(tx, "bin", ["id", "big"], out.finish(), true),
      ),
    ).rejects.toThrow(/insufficient data|incorrect binary/i);
  });

  it("given no rows, then the stream is empty (nothing to send)", () => {
    expect(new BinaryCopyRows().finish()).toHaveLength(0);
    expect(() => new BinaryCopyRows().row(1).int8(2 ** 60)).toThrow(RangeError);
    expect(() => new BinaryCopyRows().row(1).uuid("not-a-uuid")).toThrow(RangeError);
  });
});
