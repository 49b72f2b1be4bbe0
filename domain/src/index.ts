// Public API of @fxcore/domain: pure, no I/O, no clock, no randomness.
export * from "./commands.ts";
export * from "./events.ts";
export * from "./fix.ts";
export * from "./matching/engine.ts";
export type { SnapshotError, SnapshotOrder, SnapshotState } from "./matching/snapshot.ts";
export type { Instrument } from "./instruments/instrument.ts";
export * from "./instruments/reference-data.ts";
export * from "./money/conversion.ts";
export * from "./money/decimal.ts";
export * from "./money/notional.ts";
export * from "./order/decider.ts";
export * from "./order/execution-report.ts";
export * from "./order/order-state.ts";
export * from "./risk/pre-trade.ts";
export * from "./session/session-close.ts";
export * from "./values.ts";
