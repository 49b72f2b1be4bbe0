// Command-side tables. The event store's own tables come from
// @fxcore/event-store's migrations, applied first.
import type { MigrationBuilder } from "node-pg-migrate";

export const up = (pgm: MigrationBuilder): void => {
  pgm.sql(`
    -- ClOrdID is unique per account forever (ADR 053). Written in the same
    -- transaction as the events; the answer is kept to repeat it to a resend.
    CREATE TABLE cs_client_order_ids (
      account text NOT NULL,
      cl_ord_id text NOT NULL,
      request_hash text NOT NULL,
      kind text NOT NULL,
      order_id text,
      event_id uuid NOT NULL,
      -- JSON text, never queried into: text skips jsonb's parse on every insert.
      response text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (account, cl_ord_id)
    );

    -- Pre-trade limits per account; amounts in whole units of the order's quote currency.
    CREATE TABLE cs_accounts (
      account text PRIMARY KEY,
      enabled boolean NOT NULL DEFAULT true,
      max_order_qty bigint NOT NULL,
      max_notional bigint NOT NULL,
      credit_limit bigint NOT NULL
    );

    -- Inputs of the price collar and the credit check, maintained from the
    -- executions stream (projection-service); absent rows mean "none yet".
    CREATE TABLE cs_reference_prices (
      symbol text PRIMARY KEY,
      price_ticks bigint NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE TABLE cs_open_exposure (
      account text NOT NULL,
      symbol text NOT NULL,
      -- Σ price ticks × leaves units of the account's open orders on the symbol.
      notional numeric NOT NULL,
      PRIMARY KEY (account, symbol)
    );
  `);
};

export const down = (pgm: MigrationBuilder): void => {
  pgm.sql(
    "DROP TABLE cs_open_exposure; DROP TABLE cs_reference_prices; DROP TABLE cs_accounts; DROP TABLE cs_client_order_ids;",
  );
};
