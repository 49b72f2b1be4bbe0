// A batch's statements in one round trip (ADR 110): literals read back as the
// parameters would; COPYs and statements commit together; any failure (a
// statement, a COPY row, the COMMIT) writes nothing, drops the COPY data still
// queued behind it, and leaves the connection usable.
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  copyStatement,
  preparedStatement,
  type Read,
  readTogether,
  type SqlValue,
  sendStatements,
  transactionInOneRoundTrip,
  withLiterals,
} from "../../src/projector/one-round-trip.ts";
import { type ProjectionDatabase, projectionDatabase } from "../harness.ts";

let database: ProjectionDatabase;

beforeAll(async () => {
  database = await projectionDatabase("roundtrip", { migrate: false });
  await database.pool.query("CREATE TABLE a (id int PRIMARY KEY, s text)");
  await database.pool.query("CREATE TABLE b (id int PRIMARY KEY, n bigint)");
}, 60_000);
afterAll(async () => {
  await database?.close();
});

const count = async (table: string) =>
  Number((await database.pool.query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);

// Text Postgres can hold (no NUL), including quotes, backslashes and the
// separators of event-store's text columns.
const pgText = fc
  .string({
    unit: fc.constantFrom(
      "a",
      "'",
      '"',
      "\\",
      "{",
      "}",
      ",",
      " ",
      "\t",
      "\n",
      "é",
      "\x1f",
      "\x1e",
      "NULL",
    ),
  })
  .filter((s) => !s.includes("\0"));

describe("statements in one round trip", () => {
  it("given awkward strings, arrays, numbers and nulls, when written in as literals, then Postgres reads the values the parameters would carry", async () => {
    await fc.assert(
      fc.asyncProperty(
        pgText,
        fc.array(fc.option(pgText, { nil: null }), { maxLength: 5 }),
        fc.array(fc.integer(), { maxLength: 5 }),
        fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
        fc.boolean(),
        async (s, texts, ints, big, bool) => {
          const text =
            "SELECT $1::text AS s, $2::text[] AS texts, $3::int[] AS ints, $4::bigint AS big, $5::boolean AS bool, $6::text AS nothing";
          const values: (SqlValue | readonly SqlValue[])[] = [s, texts, ints, big, bool, null];
          const { rows: byParams } = await database.pool.query(
            text,
            values.map((v) => (typeof v === "bigint" ? v.toString() : v)),
          );
          const { rows: byLiterals } = await database.pool.query(withLiterals(text, values));
          expect(byLiterals).toEqual(byParams);
          expect(byLiterals[0].s).toBe(s);
          expect(byLiterals[0].texts).toEqual(texts);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("given a missing value or a number that is not finite, then no statement is built", () => {
    expect(() => withLiterals("SELECT $1, $2", ["x"])).toThrow(/no value for \$2/);
    expect(() => withLiterals("SELECT $1", [Number.NaN])).toThrow(RangeError);
  });

  it("given COPYs and statements between BEGIN and COMMIT, then all of them commit together", async () => {
    await transactionInOneRoundTrip(database.pool, [
      copyStatement("a", ["id", "s"], Buffer.from("1\tone\n2\ttwo\n")),
      {
        sql: withLiterals("INSERT INTO b (id, n) SELECT * FROM unnest($1::int[], $2::bigint[])", [
          [1, 2],
          ["9007199254740993", null],
        ]),
      },
      copyStatement("b", ["id", "n"], Buffer.alloc(0)), // empty: left out
      copyStatement("b", ["id", "n"], Buffer.from("3\t-1\n")),
      { sql: withLiterals("SELECT pg_notify($1, $2)", ["roundtrip", "it's"]) },
    ]);
    expect((await database.pool.query("SELECT id, s FROM a ORDER BY id")).rows).toEqual([
      { id: 1, s: "one" },
      { id: 2, s: "two" },
    ]);
    expect((await database.pool.query("SELECT id, n::text FROM b ORDER BY id")).rows).toEqual([
      { id: 1, n: "9007199254740993" },
      { id: 2, n: null },
      { id: 3, n: "-1" },
    ]);
  });

  it.each([
    ["a statement before the COPYs", 0],
    ["a row of the first COPY", 1],
    ["a row of the last COPY", 2],
  ])(
    "given a failure in %s, then nothing is written, the COPY data behind it is dropped and the connection serves the next transaction",
    async (_, where) => {
      const before = [await count("a"), await count("b")];
      const id = 100 * (where + 1); // fresh ids per case
      const client = await database.pool.connect();
      try {
        const attempt = sendStatements(client, [
          { sql: "BEGIN" },
          {
            sql:
              where === 0
                ? `INSERT INTO b (id, n) VALUES (${id}, 'x')`
                : `INSERT INTO b (id, n) VALUES (${id}, 1)`,
          },
          copyStatement(
            "a",
            ["id", "s"],
            Buffer.from(where === 1 ? `${id}\tten\n1\tdup\n` : `${id}\tten\n`),
          ),
          copyStatement(
            "b",
            ["id", "n"],
            Buffer.from(where === 2 ? `${id + 1}\t1\n${id + 1}\t2\n` : `${id + 1}\t1\n`),
          ),
          { sql: "COMMIT" },
        ]);
        await expect(attempt).rejects.toThrow(
          where === 0 ? /invalid input syntax/ : /duplicate key/,
        );
        await client.query("ROLLBACK");
        // The same connection: the dropped COPY data did not leak into this.
        expect((await client.query("SELECT 41 + 1 AS x")).rows).toEqual([{ x: 42 }]);
      } finally {
        client.release();
      }
      expect([await count("a"), await count("b")]).toEqual(before);
      await transactionInOneRoundTrip(database.pool, [
        copyStatement("a", ["id", "s"], Buffer.from(`${id + 2}\tafter\n`)),
      ]);
      expect(await count("a")).toBe(before[0]! + 1);
    },
  );

  it("given a prepared statement, when used in several messages on one connection, then it is prepared once and each use runs with its values", async () => {
    const client = await database.pool.connect();
    try {
      const insert = (id: number, n: string) =>
        preparedStatement("INSERT INTO b (id, n) VALUES ($1::int, $2::bigint)", [id, n]);
      await sendStatements(client, [insert(500, "1"), insert(501, "2")]);
      await sendStatements(client, [insert(502, "-3")]);
      const { rows } = await client.query(
        "SELECT count(*)::int AS n FROM pg_prepared_statements WHERE statement LIKE '%INSERT INTO b%'",
      );
      expect(rows).toEqual([{ n: 1 }]);
    } finally {
      client.release();
    }
    expect(
      (await database.pool.query("SELECT n::text FROM b WHERE id >= 500 ORDER BY id")).rows,
    ).toEqual([{ n: "1" }, { n: "2" }, { n: "-3" }]);
  });

  it("given a transaction that prepares a statement and then fails, then the next message on the connection runs it (what the connection holds is read again)", async () => {
    const client = await database.pool.connect();
    try {
      const update = (id: number) =>
        preparedStatement("UPDATE a SET s = $2::text WHERE id = $1::int", [id, "updated"]);
      await expect(
        sendStatements(client, [
          { sql: "BEGIN" },
          update(1),
          { sql: "INSERT INTO a (id, s) VALUES (1, 'dup')" },
          { sql: "COMMIT" },
        ]),
      ).rejects.toThrow(/duplicate key/);
      await client.query("ROLLBACK");
      await sendStatements(client, [update(2)]);
      await sendStatements(client, [update(2)]);
    } finally {
      client.release();
    }
    expect(
      (await database.pool.query("SELECT s FROM a WHERE id IN (1, 2) ORDER BY id")).rows,
    ).toEqual([{ s: "one" }, { s: "updated" }]);
  });

  it("given reads, then they run together in order with the cached-data planner cost, which does not outlive them", async () => {
    const setting: Read<string> = {
      sql: "SHOW random_page_cost",
      parse: (rows) => String(rows[0]?.random_page_cost),
    };
    const ids: Read<number[]> = {
      sql: "SELECT id FROM a WHERE id IN (1, 2) ORDER BY id",
      parse: (rows) => rows.map((r) => Number(r.id)),
    };
    const none: Read<string> = { sql: null, parse: (rows) => `rows: ${rows.length}` };
    const client = await database.pool.connect();
    try {
      const before = (await client.query("SHOW random_page_cost")).rows;
      expect(before).not.toEqual([{ random_page_cost: "1.1" }]);
      expect(await readTogether(client, [ids, none, setting] as const)).toEqual([
        [1, 2],
        "rows: 0",
        "1.1",
      ]);
      expect((await client.query("SHOW random_page_cost")).rows).toEqual(before);
    } finally {
      client.release();
    }
  });

  it("given a failing COMMIT-time check, then transactionInOneRoundTrip rejects and rolls back", async () => {
    await database.pool.query("CREATE TABLE c (id int PRIMARY KEY DEFERRABLE INITIALLY DEFERRED)");
    await expect(
      transactionInOneRoundTrip(database.pool, [copyStatement("c", ["id"], Buffer.from("1\n1\n"))]),
    ).rejects.toThrow(/duplicate key/);
    expect(await count("c")).toBe(0);
  });
});
