// Public API of @fxcore/domain: pure, no I/O, no clock, no randomness.
export * from "./commands.ts";
export * from "./events.ts";
export * from "./fix.ts";
export * from "./matching/engine.ts";
export type { SnapshotError, SnapshotOrder, SnapshotState } from "./matching/snapshot.ts";
export type { Instrument } from "./instruments/instrument.ts";
export * from "./values.ts";
