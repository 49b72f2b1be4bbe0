// Public API of @fxcore/gateway: the app builder, the FIX codecs and the
// signing helper (clients, tests and the benchmark sign with it).
export * from "./auth/key-store.ts";
export { signedHeaders, sign, canonicalString } from "./auth/signing.ts";
export { parseMasterKey } from "./auth/secret-box.ts";
export type { Principal, Role } from "./auth/principal.ts";
export * from "./fix/index.ts";
export { buildApp, DEFAULT_RATE_LIMITS, type GatewayOptions } from "./http/app.ts";
export { commandServiceClient } from "./upstream/command-client.ts";
export type { OrderEntry, UpstreamOutcome } from "./upstream/order-entry.ts";
export type { ExecutionRecord, ExecutionSource } from "./executions/source.ts";
