// Public API of @fxcore/event-store: the EventStore port, its Postgres
// adapter (with the outbox used by command-service's relay) and the KurrentDB
// adapter. The contract test suite is exported from "@fxcore/event-store/testing".

export { KurrentDbEventStore } from "./kurrentdb/kurrentdb-event-store.ts";
export * from "./port/event-store.ts";
export { decodeCheckpoint, encodeCheckpoint } from "./postgres/checkpoint.ts";
export { migrateEventStore } from "./postgres/migrate.ts";
export { OUTBOX_LANES } from "./postgres/migrations/1700000000001_events-and-outbox.ts";
export { type OutboxMessage, OutboxSession, PostgresOutbox } from "./postgres/outbox.ts";
export type { Queryable } from "./postgres/postgres-event-store.ts";
export {
  type AppendItem,
  isUniqueViolation,
  PostgresEventStore,
  type PostgresEventStoreOptions,
  type PublishedEvent,
} from "./postgres/postgres-event-store.ts";
export {
  forgetSentParams,
  TextColumns,
  textColumn,
  textColumnSql,
} from "./postgres/text-column.ts";
