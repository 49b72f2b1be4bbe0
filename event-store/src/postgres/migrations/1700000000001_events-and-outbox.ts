// Events, outbox and the append function. See docs/adr/050 (gap-safe reads)
// and 051 (append in one statement, outbox lanes).
import type { MigrationBuilder } from "node-pg-migrate";

/** Lanes the outbox is split into; a relay instance owns whole lanes. Fixed: changing it reshuffles keys. */
export const OUTBOX_LANES = 32;

export const up = (pgm: MigrationBuilder): void => {
  pgm.sql(`
    CREATE TABLE es_events (
      global_position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      -- Commit-order proxy: readers only see rows below the oldest running xid.
      transaction_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
      stream_id text NOT NULL,
      stream_version bigint NOT NULL,
      event_id uuid NOT NULL UNIQUE,
      event_type text NOT NULL,
      schema_id integer NOT NULL,
      schema_version integer NOT NULL,
      payload bytea NOT NULL,
      metadata jsonb NOT NULL,
      recorded_at timestamptz NOT NULL DEFAULT clock_timestamp(),
      UNIQUE (stream_id, stream_version)
    );
    CREATE INDEX es_events_log_order ON es_events (transaction_id, global_position);

    CREATE TABLE es_outbox (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      transaction_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
      lane smallint NOT NULL,
      topic text NOT NULL,
      message_key text NOT NULL,
      global_position bigint NOT NULL REFERENCES es_events (global_position)
    );
    CREATE INDEX es_outbox_lane_order ON es_outbox (lane, transaction_id, id);

    -- Where the relay stands in each lane: the (transaction_id, id) of the last published row.
    CREATE TABLE es_outbox_lanes (
      lane smallint PRIMARY KEY,
      last_transaction_id xid8 NOT NULL DEFAULT '0',
      last_id bigint NOT NULL DEFAULT 0,
      published bigint NOT NULL DEFAULT 0,
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    INSERT INTO es_outbox_lanes (lane) SELECT generate_series(0, ${OUTBOX_LANES - 1});
  `);

  // One call appends a whole batch of items (one item = one stream's append),
  // each succeeding or failing on its own; a single statement is one round
  // trip and one transaction. p_expected: -2 any, -1 no stream, >= 0 revision.
  pgm.sql(`
    CREATE FUNCTION es_append(
      p_item integer[], p_expected bigint[], p_stream text[], p_event_id uuid[],
      p_type text[], p_schema_id integer[], p_schema_version integer[],
      p_payload bytea[], p_metadata text[], p_topic text[], p_key text[]
    ) RETURNS TABLE (item integer, ok boolean, next_version bigint, positions bigint[], actual bigint)
    LANGUAGE plpgsql AS $fn$
    DECLARE
      v_item integer[]; v_stream text[]; v_pos bigint[]; v_ver bigint[]; v_topic text[]; v_key text[];
      v_losers integer[];
    BEGIN
      WITH input AS (
        SELECT u.*, (row_number() OVER (PARTITION BY u.it ORDER BY u.ord) - 1) AS k
        FROM unnest(p_item, p_expected, p_stream, p_event_id, p_type, p_schema_id, p_schema_version,
                    p_payload, p_metadata, p_topic, p_key)
             WITH ORDINALITY AS u(it, expected, stream_id, event_id, event_type, schema_id, schema_version,
                                  payload, metadata, topic, message_key, ord)
      ),
      -- The revision each item builds on; NULL when an exact expectation already fails.
      bases AS (
        SELECT i.it, CASE
            WHEN i.expected = -1 THEN -1
            WHEN i.expected = -2 THEN COALESCE(
              (SELECT max(e.stream_version) FROM es_events e WHERE e.stream_id = i.stream_id), -1)
            WHEN EXISTS (SELECT 1 FROM es_events e
                         WHERE e.stream_id = i.stream_id AND e.stream_version = i.expected) THEN i.expected
          END AS base
        FROM input i WHERE i.k = 0
      ),
      -- A concurrent writer of the same revision makes ON CONFLICT wait for it, then skip.
      ins AS (
        INSERT INTO es_events (stream_id, stream_version, event_id, event_type, schema_id, schema_version, payload, metadata)
        SELECT i.stream_id, b.base + 1 + i.k, i.event_id, i.event_type, i.schema_id, i.schema_version, i.payload, i.metadata::jsonb
        FROM input i JOIN bases b ON b.it = i.it WHERE b.base IS NOT NULL
        -- One lock order for every writer: concurrent batches touching the same streams cannot deadlock.
        ORDER BY i.stream_id, i.k
        ON CONFLICT DO NOTHING
        RETURNING es_events.event_id, es_events.global_position, es_events.stream_version
      )
      SELECT array_agg(i.it ORDER BY i.ord), array_agg(i.stream_id ORDER BY i.ord),
             array_agg(ins.global_position ORDER BY i.ord), array_agg(ins.stream_version ORDER BY i.ord),
             array_agg(i.topic ORDER BY i.ord), array_agg(i.message_key ORDER BY i.ord)
        INTO v_item, v_stream, v_pos, v_ver, v_topic, v_key
      FROM input i LEFT JOIN ins ON ins.event_id = i.event_id;

      -- All of an item's events or none: drop what a losing item managed to insert.
      SELECT array_agg(DISTINCT x.it) INTO v_losers FROM unnest(v_item, v_pos) AS x(it, pos) WHERE x.pos IS NULL;
      IF v_losers IS NOT NULL THEN
        DELETE FROM es_events e USING unnest(v_item, v_pos) AS x(it, pos)
        WHERE x.it = ANY (v_losers) AND e.global_position = x.pos;
        SELECT array_agg(CASE WHEN x.it = ANY (v_losers) THEN NULL ELSE x.pos END ORDER BY x.ord)
          INTO v_pos FROM unnest(v_item, v_pos) WITH ORDINALITY AS x(it, pos, ord);
      END IF;

      INSERT INTO es_outbox (lane, topic, message_key, global_position)
      SELECT (hashtextextended(x.msg_key, 0) & ${OUTBOX_LANES - 1})::smallint, x.topic, x.msg_key, x.pos
      FROM unnest(v_pos, v_topic, v_key) AS x(pos, topic, msg_key)
      WHERE x.pos IS NOT NULL AND x.topic IS NOT NULL
      ORDER BY x.pos;

      IF v_losers IS NULL OR cardinality(v_losers) < (SELECT count(DISTINCT it) FROM unnest(v_item) AS it) THEN
        PERFORM pg_notify('es_events', '');
      END IF;

      RETURN QUERY
      SELECT x.it,
             bool_and(x.pos IS NOT NULL),
             max(x.ver),
             array_agg(x.pos ORDER BY x.ord),
             CASE WHEN bool_and(x.pos IS NOT NULL) THEN NULL::bigint ELSE
               COALESCE((SELECT max(e.stream_version) FROM es_events e WHERE e.stream_id = min(x.stream_id)), -1) END
      FROM unnest(v_item, v_stream, v_pos, v_ver) WITH ORDINALITY AS x(it, stream_id, pos, ver, ord)
      GROUP BY x.it ORDER BY x.it;
    END
    $fn$;
  `);
};

export const down = (pgm: MigrationBuilder): void => {
  pgm.sql(`
    DROP FUNCTION es_append;
    DROP TABLE es_outbox_lanes;
    DROP TABLE es_outbox;
    DROP TABLE es_events;
  `);
};
