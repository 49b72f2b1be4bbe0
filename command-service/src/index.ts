// Public API of @fxcore/command-service (for tests, the benchmark and the gateway's client types).
export type {
  BatchCommand,
  CommandAnswer,
  RequestContext,
  StatusAnswer,
} from "./commands/command-handler.ts";
export { CommandHandler, requestHash } from "./commands/command-handler.ts";
export type { EventCodec } from "./commands/event-codec.ts";
export type {
  BatchItem,
  CancelRequest,
  PlaceRequest,
  ReplaceRequest,
} from "./commands/requests.ts";
export { MAX_BATCH_ITEMS } from "./commands/requests.ts";
export { ACCOUNTS_HEADER, CORRELATION_HEADER, ROLES_HEADER } from "./http/app.ts";
export { migrateCommandService } from "./migrate.ts";
export { EVENT_HEADERS, OutboxRelay, type RelayOptions } from "./outbox-relay/relay.ts";
export { homePairs, sessionClockConfig } from "./session-clock/config.ts";
export {
  type DueExpiry,
  expiryOf,
  type PlannedTick,
  planTicks,
} from "./session-clock/due-ticks.ts";
export {
  clockStream,
  type PassOutcome,
  SessionClock,
  type SessionClockOptions,
} from "./session-clock/session-clock.ts";
export {
  type CommandService,
  type CommandServiceOptions,
  createCommandService,
} from "./service.ts";
export { CommandWriter, StoreUnavailable } from "./write/command-writer.ts";
