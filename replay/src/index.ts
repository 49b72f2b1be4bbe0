// Public API of @fxcore/replay: the regulator's view of the event log, read
// straight from the event store and re-run through the live matcher's code.
export { type AsOf, type BookAtOptions, type BookAtT, bookAt, formatNs } from "./book/book-at.ts";
export { bookFromOcf, type OcfReplay } from "./book/book-from-ocf.ts";
export { type ApiAnswer, type RegulatorApi, regulatorApi, STATUS_OF } from "./api/regulator-api.ts";
export { parseAsOf, parseInstant, parsePair, parseSeq } from "./cli/arguments.ts";
export { EXIT, runCli, USAGE } from "./cli/run.ts";
export { createReplayContext, type ReplayContext, replayConfigSpec } from "./context.ts";
export {
  exportSchema,
  OCF_CODECS,
  type OcfCodec,
  OcfWriter,
  openOcf,
  readOcf,
  recodeOcf,
  replayReaderType,
} from "./export/avro-ocf.ts";
export {
  avroRecord,
  CSV_COLUMNS,
  EXPORT_FORMATS,
  type ExportFilter,
  type ExportFormat,
  exportLog,
  fromAvroRecord,
  jsonRecord,
} from "./export/export.ts";
export { orderCodes, type RegulatoryCode, regulatoryCode } from "./export/regulatory-codes.ts";
export { type IntegrityReport, verifyIntegrity } from "./integrity/integrity.ts";
export {
  type Lifecycle,
  type LifecycleEntry,
  type LifecycleQuery,
  lifecycle,
} from "./lifecycle/lifecycle.ts";
export { type DecodedEvent, type EventDecoder, eventDecoder } from "./log/decoder.ts";
export { type ReadSession, withReadSession } from "./log/read-session.ts";
export { type ReplayError, ReplayFailure, type ReplayResult } from "./log/replay-error.ts";
export { type Divergence, type ReexecutionReport, reexecute } from "./reexecute/reexecute.ts";
