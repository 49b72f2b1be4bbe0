// Pre-trade risk inputs (ADR 075) in every existing read-model version,
// backfilled from that version's orders and trades (the same definition the
// projector maintains), and exposed through the rm views.
import type { MigrationBuilder } from "node-pg-migrate";
import { ACTIVE_SCHEMA, riskInputsDdl } from "../ddl.ts";

const PLACEHOLDER = "__rm_version__";

export const up = (pgm: MigrationBuilder): void => {
  pgm.sql(`
DO $migration$
DECLARE v text; active text;
BEGIN
  FOR v IN SELECT nspname FROM pg_namespace WHERE nspname ~ '^rm_v[0-9]+$' LOOP
    EXECUTE replace($ddl$${riskInputsDdl(PLACEHOLDER)}$ddl$, '${PLACEHOLDER}', v);
    EXECUTE format(
      'INSERT INTO %1$I.reference_prices (symbol, price, seq, transact_time)
         SELECT DISTINCT ON (symbol) symbol, price, seq, transact_time FROM %1$I.trades ORDER BY symbol, seq DESC
       ON CONFLICT DO NOTHING', v);
    EXECUTE format(
      'INSERT INTO %1$I.open_exposure (account, symbol, notional, orders)
         SELECT account, symbol, sum(leaves_qty::numeric * price), count(*)::int FROM %1$I.orders
          WHERE accepted AND ord_type IS DISTINCT FROM ''MARKET'' AND price IS NOT NULL AND leaves_qty > 0
            AND ord_status NOT IN (''2'', ''4'', ''8'', ''C'')
          GROUP BY account, symbol
       ON CONFLICT DO NOTHING', v);
  END LOOP;
  SELECT schema_name INTO active FROM ${ACTIVE_SCHEMA}.active_version;
  IF active IS NOT NULL THEN
    EXECUTE format('CREATE OR REPLACE VIEW ${ACTIVE_SCHEMA}.reference_prices AS SELECT * FROM %I.reference_prices', active);
    EXECUTE format('CREATE OR REPLACE VIEW ${ACTIVE_SCHEMA}.open_exposure AS SELECT * FROM %I.open_exposure', active);
  END IF;
END
$migration$;
`);
};

export const down = (pgm: MigrationBuilder): void => {
  pgm.sql(`
DO $migration$
DECLARE v text;
BEGIN
  DROP VIEW IF EXISTS ${ACTIVE_SCHEMA}.reference_prices;
  DROP VIEW IF EXISTS ${ACTIVE_SCHEMA}.open_exposure;
  FOR v IN SELECT nspname FROM pg_namespace WHERE nspname ~ '^rm_v[0-9]+$' LOOP
    EXECUTE format('DROP TABLE IF EXISTS %1$I.reference_prices; DROP TABLE IF EXISTS %1$I.open_exposure', v);
  END LOOP;
END
$migration$;
`);
};
