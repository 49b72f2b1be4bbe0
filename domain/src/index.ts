// Public API of @fxcore/domain: pure, no I/O, no clock, no randomness.
export * from "./commands.ts";
export * from "./events.ts";
export * from "./fix.ts";
export type { Instrument } from "./instruments/instrument.ts";
export * from "./values.ts";
