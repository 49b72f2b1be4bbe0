// COPY text encoding round trip: whatever a read model or the audit trail
// holds comes back byte for byte (tabs, newlines, backslashes, non-ASCII,
// nulls, bytea in both encodings).
import { withTransaction } from "@fxcore/infra";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { copyBytea, copyField, copyLines, copyRows } from "../../src/projector/copy-rows.ts";
import { type ProjectionDatabase, projectionDatabase } from "../harness.ts";

let database: ProjectionDatabase;

beforeAll(async () => {
  database = await projectionDatabase("copyrows", { migrate: false });
  await database.pool.query(
    "CREATE TABLE t (id int PRIMARY KEY, s text, n numeric, b boolean, raw bytea)",
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
});
