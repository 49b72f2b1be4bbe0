// Read-model tables of one version. Every version lives in its own Postgres
// schema (rm_v1, rm_v2 …) with its own offsets and processed-event set, so a
// rebuild can fill a new version beside the live one; readers go through the
// views in schema `rm`, which point at the active version (ADR 071).

export const ACTIVE_SCHEMA = "rm";
export const versionSchema = (version: number): string => `rm_v${version}`;

/**
 * Orders are inserted once and updated by each fill/cancel, none of which
 * touches an indexed column: free room on the page keeps those updates HOT
 * (no new entry in the four indexes).
 */
export const ORDERS_FILLFACTOR = 50;

export const READ_MODEL_TABLES = [
  "orders",
  "order_cl_ord_ids",
  "executions",
  "account_seqs",
  "trades",
  "positions",
  "balances",
  "depth",
  "candles",
  "reference_prices",
  "open_exposure",
  "processed_events",
  "consumer_offsets",
] as const;

export const readModelDdl = (schema: string): string => `
CREATE SCHEMA IF NOT EXISTS ${schema};

CREATE TABLE ${schema}.orders (
  row_id bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  order_id text PRIMARY KEY,
  account text NOT NULL,
  symbol text NOT NULL,
  side text NOT NULL,
  cl_ord_id text NOT NULL,
  orig_cl_ord_id text,
  ord_type text,
  tif text,
  price bigint,
  order_qty bigint,
  ord_status text NOT NULL,
  cum_qty bigint NOT NULL,
  leaves_qty bigint NOT NULL,
  notional numeric NOT NULL,
  accepted boolean NOT NULL,
  replaced boolean NOT NULL,
  last_seq bigint,
  text text,
  created_at bigint,
  updated_at bigint NOT NULL
) WITH (fillfactor = ${ORDERS_FILLFACTOR});
CREATE INDEX ON ${schema}.orders (account, row_id);
CREATE INDEX ON ${schema}.orders (symbol, row_id);

CREATE TABLE ${schema}.order_cl_ord_ids (
  account text NOT NULL,
  cl_ord_id text NOT NULL,
  order_id text NOT NULL,
  PRIMARY KEY (account, cl_ord_id)
);

CREATE TABLE ${schema}.executions (
  account text NOT NULL,
  account_seq bigint NOT NULL,
  exec_id text NOT NULL UNIQUE,
  msg_type text NOT NULL,
  exec_type text,
  ord_status text,
  order_id text,
  cl_ord_id text NOT NULL,
  orig_cl_ord_id text,
  symbol text NOT NULL,
  side text,
  ord_type text,
  price bigint,
  order_qty bigint,
  last_qty bigint,
  last_px bigint,
  cum_qty bigint NOT NULL,
  leaves_qty bigint NOT NULL,
  notional numeric NOT NULL,
  reject_reason integer,
  cxl_rej_response_to smallint,
  text text,
  transact_time bigint NOT NULL,
  pair_seq bigint,
  event_id text NOT NULL,
  PRIMARY KEY (account, account_seq)
);
CREATE INDEX ON ${schema}.executions (order_id, account_seq);

CREATE TABLE ${schema}.account_seqs (
  account text PRIMARY KEY,
  last_seq bigint NOT NULL
);

CREATE TABLE ${schema}.trades (
  symbol text NOT NULL,
  seq bigint NOT NULL,
  exec_id text NOT NULL UNIQUE,
  price bigint NOT NULL,
  qty bigint NOT NULL,
  aggressor_side text NOT NULL,
  transact_time bigint NOT NULL,
  PRIMARY KEY (symbol, seq)
);

CREATE TABLE ${schema}.positions (
  account text NOT NULL,
  symbol text NOT NULL,
  net_qty numeric NOT NULL,
  cost numeric NOT NULL,
  realised_pnl numeric NOT NULL,
  bought_qty numeric NOT NULL,
  sold_qty numeric NOT NULL,
  updated_at bigint NOT NULL,
  PRIMARY KEY (account, symbol)
);

CREATE TABLE ${schema}.balances (
  account text NOT NULL,
  currency text NOT NULL,
  amount numeric NOT NULL,
  PRIMARY KEY (account, currency)
);

CREATE TABLE ${schema}.depth (
  symbol text NOT NULL,
  side text NOT NULL,
  price bigint NOT NULL,
  qty numeric NOT NULL,
  orders integer NOT NULL,
  PRIMARY KEY (symbol, side, price)
);

CREATE TABLE ${schema}.candles (
  symbol text NOT NULL,
  interval text NOT NULL,
  start_ns bigint NOT NULL,
  open bigint NOT NULL,
  high bigint NOT NULL,
  low bigint NOT NULL,
  close bigint NOT NULL,
  volume numeric NOT NULL,
  notional numeric NOT NULL,
  trades integer NOT NULL,
  first_seq bigint NOT NULL,
  last_seq bigint NOT NULL,
  PRIMARY KEY (symbol, interval, start_ns)
);

${riskInputsDdl(schema)}
-- Idempotency by event id; position = event-store global position (read-your-writes).
CREATE TABLE ${schema}.processed_events (
  event_id text PRIMARY KEY,
  position bigint,
  processed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ON ${schema}.processed_events (position) WHERE position IS NOT NULL;

-- Next offset to consume per topic/partition, committed with the read-model changes.
CREATE TABLE ${schema}.consumer_offsets (
  topic text NOT NULL,
  partition integer NOT NULL,
  next_offset bigint NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (topic, partition)
);
`;

/**
 * Inputs of the command side's pre-trade risk (ADR 075). IF NOT EXISTS: a
 * later migration adds them to versions created before they existed.
 */
export const riskInputsDdl = (schema: string): string => `
-- Last trade per pair: the price collar's reference.
CREATE TABLE IF NOT EXISTS ${schema}.reference_prices (
  symbol text PRIMARY KEY,
  price bigint NOT NULL,
  seq bigint NOT NULL,
  transact_time bigint NOT NULL
);
-- Σ leaves × limit price (ticks × units) of live accepted LIMIT orders per account and pair.
CREATE TABLE IF NOT EXISTS ${schema}.open_exposure (
  account text NOT NULL,
  symbol text NOT NULL,
  notional numeric NOT NULL,
  orders integer NOT NULL,
  PRIMARY KEY (account, symbol)
);
`;

/** (Re)points the reader views in schema rm at a version, in the caller's transaction. */
export const activateDdl = (schema: string): string => `
CREATE SCHEMA IF NOT EXISTS ${ACTIVE_SCHEMA};
${READ_MODEL_TABLES.map((t) => `CREATE OR REPLACE VIEW ${ACTIVE_SCHEMA}.${t} AS SELECT * FROM ${schema}.${t};`).join("\n")}
CREATE TABLE IF NOT EXISTS ${ACTIVE_SCHEMA}.active_version (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  schema_name text NOT NULL,
  activated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO ${ACTIVE_SCHEMA}.active_version (schema_name) VALUES ('${schema}')
  ON CONFLICT (singleton) DO UPDATE SET schema_name = EXCLUDED.schema_name, activated_at = now();
`;
