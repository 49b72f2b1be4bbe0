// Reference prices and open exposure now come from projection-service's read
// models (rm.reference_prices, rm.open_exposure; ADR 075): the command-side
// tables nothing ever filled go.
import type { MigrationBuilder } from "node-pg-migrate";

export const up = (pgm: MigrationBuilder): void => {
  pgm.sql("DROP TABLE IF EXISTS cs_open_exposure; DROP TABLE IF EXISTS cs_reference_prices;");
};

export const down = (pgm: MigrationBuilder): void => {
  pgm.sql(`
    CREATE TABLE cs_reference_prices (
      symbol text PRIMARY KEY,
      price_ticks bigint NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE TABLE cs_open_exposure (
      account text NOT NULL,
      symbol text NOT NULL,
      notional numeric NOT NULL,
      PRIMARY KEY (account, symbol)
    );
  `);
};
