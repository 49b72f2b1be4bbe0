// Session clock tables (ADR 055). Written in the same transaction as the
// OrderAccepted that carries an expireTime, read by the session clock.
import type { MigrationBuilder } from "node-pg-migrate";

export const up = (pgm: MigrationBuilder): void => {
  pgm.sql(`
    -- One row per (pair, expiry instant) still to be ticked; orders sharing an
    -- expiry (every DAY order of a session) share one row. The clock deletes
    -- the rows it ticks in the transaction that appends the tick.
    CREATE TABLE cs_pending_expiries (
      due_ns bigint NOT NULL,
      symbol text NOT NULL,
      PRIMARY KEY (due_ns, symbol)
    );

    -- Last tick per pair: ticks stay monotonic per pair, and the heartbeat
    -- knows which pairs have been quiet.
    CREATE TABLE cs_session_clock (
      symbol text PRIMARY KEY,
      last_tick_ns bigint NOT NULL
    );
  `);
};

export const down = (pgm: MigrationBuilder): void => {
  pgm.sql("DROP TABLE cs_session_clock; DROP TABLE cs_pending_expiries;");
};
