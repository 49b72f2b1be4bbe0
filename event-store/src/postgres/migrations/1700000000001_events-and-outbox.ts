// Events and outbox. See docs/adr/050 (gap-safe reads), 051 (append in one
// statement) and 052 (outbox lanes). The append statement is in
// src/postgres/append-statement.ts.
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

    -- One row per event to publish, ordered like the log: (transaction_id,
    -- global_position) within a lane. The only index is the relay's read
    -- order. No foreign key: the row is written by the same statement as its
    -- event, and the FK trigger (a locking lookup per row) would cost more
    -- than it guards.
    CREATE TABLE es_outbox (
      lane smallint NOT NULL,
      transaction_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
      global_position bigint NOT NULL,
      topic text NOT NULL,
      message_key text NOT NULL,
      PRIMARY KEY (lane, transaction_id, global_position)
    );

    -- Where the relay stands in each lane: the (transaction_id, global_position) of the last published row.
    CREATE TABLE es_outbox_lanes (
      lane smallint PRIMARY KEY,
      last_transaction_id xid8 NOT NULL DEFAULT '0',
      last_position bigint NOT NULL DEFAULT 0,
      published bigint NOT NULL DEFAULT 0,
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    INSERT INTO es_outbox_lanes (lane) SELECT generate_series(0, ${OUTBOX_LANES - 1});
  `);
};

export const down = (pgm: MigrationBuilder): void => {
  pgm.sql(`
    DROP TABLE es_outbox_lanes;
    DROP TABLE es_outbox;
    DROP TABLE es_events;
  `);
};
