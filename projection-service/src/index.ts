// Public API of @fxcore/projection-service: the pure read models and the
// pieces query-api and the replay tooling reuse (audit verification, schema names).
export { recordDigest, type VerifyReport, verifyAuditTrail } from "./audit/audit-store.ts";
export { canonicalBytes, merkleRoot } from "./audit/chain.ts";
export { INTERVALS, type Interval, intervalNames } from "./models/candles.ts";
export type { EventEnvelope } from "./models/envelope.ts";
export { matcherEventId } from "./models/envelope.ts";
export { MemoryReadModels } from "./models/memory.ts";
export {
  type DecodedEvent,
  NOTIFY_CHANNEL,
  type ProjectorOptions,
  projectBatch,
} from "./projector/project-batch.ts";
export { pairLookup } from "./reference-pairs.ts";
export { ACTIVE_SCHEMA } from "./store/ddl.ts";
export { migrateProjection } from "./store/migrate.ts";
