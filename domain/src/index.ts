// Public API of @fxcore/domain: pure, no I/O, no clock, no randomness.
export * from "./commands.ts";
export * from "./events.ts";
export * from "./fix.ts";
export * from "./values.ts";
