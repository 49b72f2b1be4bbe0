// The append of a whole batch as ONE SQL statement (ADR 051): one round trip,
// one plan, and in autocommit one transaction. Per event it returns the
// global position, or NULL when the event was not written.
import { OUTBOX_LANES } from "./migrations/1700000000001_events-and-outbox.ts";
import { textColumnSql as col } from "./text-column.ts";

// One text column parameter per field (text-column.ts), one element per event:
// $1 item, $2 expected (its item's: -2 any, -1 no stream, >= 0 revision),
// $3 stream, $4 event id, $5 type, $6 schema id, $7 schema version, $8 the
// payload's 1-based start in $12, $9 metadata JSON, $10 topic, $11 message
// key; $12 every payload back to back as ONE binary bytea parameter (no hex
// text to build, send and decode), $13 the payloads' lengths.
// Events of one item are contiguous in the arrays, so k = ord - first ord.

/** Outbox rows for what was inserted (every batch statement); the general ones then answer one row per event in input order. */
const OUTBOX = `outbox AS (
  INSERT INTO es_outbox (lane, topic, message_key, global_position)
  SELECT (hashtextextended(i.message_key, 0) & ${OUTBOX_LANES - 1})::smallint, i.topic, i.message_key, ins.global_position
  FROM ins JOIN input i ON i.event_id = ins.event_id
  WHERE i.topic IS NOT NULL
  ORDER BY ins.global_position
)`;
const OUTBOX_AND_ANSWER = `${OUTBOX}
SELECT i.it AS item, ins.global_position, ins.stream_version
FROM input i LEFT JOIN ins ON ins.event_id = i.event_id
ORDER BY i.ord`;

const appendSql = (onConflict: boolean): string => `
WITH input AS (
  SELECT u.*, (u.ord - min(u.ord) OVER (PARTITION BY u.it))::int AS k
  FROM unnest(${col("$1", "int")}, ${col("$2", "bigint")}, ${col("$3")}, ${col("$4", "uuid")},
              ${col("$5")}, ${col("$6", "int")}, ${col("$7", "int")}, ${col("$8", "int")}, ${col("$9")},
              ${col("$10")}, ${col("$11")}, ${col("$13", "int")})
       WITH ORDINALITY AS u(it, expected, stream_id, event_id, event_type, schema_id, schema_version,
                            payload_at, metadata, topic, message_key, payload_length, ord)
),
-- The revision each item builds on, computed on its first event and carried
-- to the others by a window (a join here gets a nested loop: O(n^2) per batch);
-- NULL when an exact expectation already fails.
based AS (
  SELECT i.*, first_value(CASE WHEN i.k = 0 THEN
      CASE
        WHEN i.expected = -1 THEN -1
        WHEN i.expected = -2 THEN COALESCE(
          (SELECT max(e.stream_version) FROM es_events e WHERE e.stream_id = i.stream_id), -1)
        WHEN EXISTS (SELECT 1 FROM es_events e
                     WHERE e.stream_id = i.stream_id AND e.stream_version = i.expected) THEN i.expected
      END
    END) OVER (PARTITION BY i.it ORDER BY i.ord) AS base
  FROM input i
),
-- A concurrent writer of the same revision makes ON CONFLICT wait for it, then
-- skip. One lock order for every writer (stream, revision): no deadlocks.
ins AS (
  INSERT INTO es_events (stream_id, stream_version, event_id, event_type, schema_id, schema_version, payload, metadata)
  SELECT b.stream_id, b.base + 1 + b.k, b.event_id, b.event_type, b.schema_id, b.schema_version,
         substring($12::bytea FROM b.payload_at FOR b.payload_length), b.metadata::jsonb
  FROM based b WHERE b.base IS NOT NULL
  ORDER BY b.stream_id, b.k
  ${onConflict ? "ON CONFLICT DO NOTHING" : ""}
  RETURNING event_id, global_position, stream_version
),
${OUTBOX_AND_ANSWER}`;

export const APPEND_SQL = appendSql(true);

/**
 * The same parameters for a batch of new streams, one event each (every
 * place order): revision 0 for every row, so no per-item base revision, none
 * of the windows and sorts that find it; a stream that exists already is the
 * unique violation (strict) or a row not inserted (ON CONFLICT). Answers one
 * row per item in input order with one column, the event's global position
 * (null where it was not written); newStreamRows turns them into the general
 * statements' rows.
 */
const appendNewStreamsSql = (onConflict: boolean): string => `
WITH input AS (
  SELECT u.*
  FROM unnest(${col("$1", "int")}, ${col("$2", "bigint")}, ${col("$3")}, ${col("$4", "uuid")},
              ${col("$5")}, ${col("$6", "int")}, ${col("$7", "int")}, ${col("$8", "int")}, ${col("$9")},
              ${col("$10")}, ${col("$11")}, ${col("$13", "int")})
       WITH ORDINALITY AS u(it, expected, stream_id, event_id, event_type, schema_id, schema_version,
                            payload_at, metadata, topic, message_key, payload_length, ord)
),
ins AS (
  INSERT INTO es_events (stream_id, stream_version, event_id, event_type, schema_id, schema_version, payload, metadata)
  SELECT i.stream_id, 0, i.event_id, i.event_type, i.schema_id, i.schema_version,
         substring($12::bytea FROM i.payload_at FOR i.payload_length), i.metadata::jsonb
  FROM input i
  ORDER BY i.stream_id
  ${onConflict ? "ON CONFLICT DO NOTHING" : ""}
  RETURNING event_id, global_position
),
${OUTBOX}
SELECT ins.global_position
FROM input i LEFT JOIN ins ON ins.event_id = i.event_id
ORDER BY i.ord`;

export const APPEND_NEW_STREAMS_SQL = appendNewStreamsSql(true);
export const APPEND_NEW_STREAMS_STRICT_SQL = appendNewStreamsSql(false);
/**
 * Strict: a plain INSERT, for a caller's transaction that redoes itself on a
 * unique violation (a concurrent writer of the same revision). No speculative
 * insertion, which probes every unique index of es_events before each insert.
 */
export const APPEND_STRICT_SQL = appendSql(false);

/** Removes what a losing multi-event item managed to write (same transaction). */
export const UNDO_PARTIAL_SQL = `
WITH gone AS (DELETE FROM es_outbox WHERE global_position = ANY($1::bigint[]))
DELETE FROM es_events WHERE global_position = ANY($1::bigint[])`;

export const CURRENT_VERSIONS_SQL = `
SELECT s.stream_id, COALESCE(max(e.stream_version), -1) AS version
FROM unnest($1::text[]) AS s(stream_id) LEFT JOIN es_events e ON e.stream_id = s.stream_id
GROUP BY s.stream_id`;

/**
 * The same for one command of one event (the common single append): scalar
 * parameters, no arrays or windows. Both statements take $1 stream, $2 event
 * id, $3 type, $4 schema id, $5 schema version, $6 payload, $7 metadata JSON,
 * $8 topic, $9 message key; the general one also $10 the expectation (-2
 * any, -1 no stream, >= 0 revision).
 *
 * Written so that Postgres keeps ONE generic plan per named statement
 * (ADR 048): nothing in them folds away for some parameter values. A CASE on
 * the expectation did: each custom plan looked cheaper than the generic one,
 * so the plan cache planned the whole CTE again on every execution, which
 * cost more than running it. The general statement reads the stream's
 * revision with one index probe whatever the expectation; a new stream (the
 * common case) has its own statement without the probe.
 *
 * `onConflict` false: a plain INSERT, for autocommit, where a lost race
 * (unique violation) fails only this statement; cheaper than the speculative
 * insertion ON CONFLICT needs. Inside a caller's transaction an error would
 * abort it, so there DO NOTHING stays.
 */
const ONE_OUTBOX_AND_ANSWER = `outbox AS (
  INSERT INTO es_outbox (lane, topic, message_key, global_position)
  SELECT (hashtextextended($9::text, 0) & ${OUTBOX_LANES - 1})::smallint, $8::text, $9::text, ins.global_position
  FROM ins WHERE $8::text IS NOT NULL
)
SELECT ins.global_position, ins.stream_version FROM ins`;

const appendOneSql = (onConflict: boolean): string => `
WITH cur AS (
  SELECT COALESCE(max(e.stream_version), -1) AS v FROM es_events e WHERE e.stream_id = $1::text
),
ins AS (
  INSERT INTO es_events (stream_id, stream_version, event_id, event_type, schema_id, schema_version, payload, metadata)
  SELECT $1::text, cur.v + 1, $2::uuid, $3::text, $4::int, $5::int, $6::bytea, $7::jsonb
  FROM cur WHERE $10::bigint = -2 OR cur.v = $10::bigint
  ${onConflict ? "ON CONFLICT DO NOTHING" : ""}
  RETURNING global_position, stream_version
),
${ONE_OUTBOX_AND_ANSWER}`;

const appendOneNewSql = (onConflict: boolean): string => `
WITH ins AS (
  INSERT INTO es_events (stream_id, stream_version, event_id, event_type, schema_id, schema_version, payload, metadata)
  VALUES ($1::text, 0, $2::uuid, $3::text, $4::int, $5::int, $6::bytea, $7::jsonb)
  ${onConflict ? "ON CONFLICT DO NOTHING" : ""}
  RETURNING global_position, stream_version
),
${ONE_OUTBOX_AND_ANSWER}`;

export const APPEND_ONE_SQL = appendOneSql(true);
export const APPEND_ONE_AUTOCOMMIT_SQL = appendOneSql(false);
export const APPEND_ONE_NEW_SQL = appendOneNewSql(true);
export const APPEND_ONE_NEW_AUTOCOMMIT_SQL = appendOneNewSql(false);
