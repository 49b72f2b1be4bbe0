// Public API of @fxcore/schemas: the Avro contracts of every event and
// command, the serde with the schema registry, evolution checks, and the
// declarative topic list with its provisioning.

export { type AvroSchema, type AvroType, readerType, writerType } from "./catalog/avro-types.ts";
export {
  type AvroField,
  defaultAvroDir,
  loadCatalog,
  NAMESPACE,
  type SchemaCatalog,
  type SchemaVersion,
} from "./catalog/catalog.ts";
export type {
  Envelope,
  EnvelopeMeta,
  Payload,
  PayloadOf,
  PayloadType,
} from "./envelope/envelope.ts";
export { type CompatProblem, checkHistory, checkReadable } from "./evolution/avro-compat.ts";
export {
  type RegistrationOutcome,
  registerHistory,
  registerVersions,
} from "./evolution/registry-history.ts";
export type { PayloadRecords } from "./generated/records.ts";
export { planRead, readBody, writeBody } from "./serde/avro-body.ts";
export { decodeRecordWith } from "./serde/consumer-decode.ts";
export {
  type DecodeError,
  type DecodeErrorKind,
  decodeError,
  describeDecodeError,
  EncodeError,
  RegistryUnavailableError,
} from "./serde/decode-error.ts";
export {
  COMPATIBILITY_LEVEL,
  createRegistryClient,
  getCompatibility,
  type RegistrationRefused,
  type RegistryClient,
  registerSchema,
  setCompatibility,
  subjectName,
} from "./serde/registry.ts";
export {
  compileEnvelopeCodec,
  type Cursor,
  createSink,
  type EnvelopeCodec,
  type Sink,
} from "./serde/fast-avro.ts";
export { type CompiledReaders, compiledReaders } from "./serde/compiled-readers.ts";
export { createSerde, type Serde, type SerdeOptions } from "./serde/serde.ts";
export { frame, HEADER_BYTES, MAGIC_BYTE, unframe } from "./serde/wire.ts";
export {
  loadTopics,
  type ProvisionOptions,
  parseTopics,
  provisionTopics,
  type TopicDefinition,
  TopicsFileError,
  toTopicSpec,
  topicsFileUrl,
} from "./topics/topics.ts";
