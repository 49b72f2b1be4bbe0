// Orders of every existing read-model version leave room on new pages for HOT
// updates (ADR 077); versions created from now on get it in their DDL.
import type { MigrationBuilder } from "node-pg-migrate";
import { ORDERS_FILLFACTOR } from "../ddl.ts";

const setFillfactor = (value: number | null) => `
DO $migration$
DECLARE v text;
BEGIN
  FOR v IN SELECT nspname FROM pg_namespace WHERE nspname ~ '^rm_v[0-9]+$' LOOP
    EXECUTE format('ALTER TABLE %I.orders ${value === null ? "RESET (fillfactor)" : `SET (fillfactor = ${value})`}', v);
  END LOOP;
END
$migration$;
`;

export const up = (pgm: MigrationBuilder): void => {
  pgm.sql(setFillfactor(ORDERS_FILLFACTOR));
};

export const down = (pgm: MigrationBuilder): void => {
  pgm.sql(setFillfactor(null));
};
