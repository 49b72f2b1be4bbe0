// Why a record could not be decoded. Values, not exceptions: a consumer
// routes them to the DLQ (reason in headers) and keeps going. A registry
// that does not answer is NOT one of these: that is thrown, because the
// record is fine and must be retried, not dead-lettered.

export type DecodeErrorKind =
  /** No value, or fewer bytes than the 5-byte header, or an Avro body that ends early. */
  | "TRUNCATED"
  /** First byte is not the Confluent wire format's 0. */
  | "BAD_MAGIC_BYTE"
  /** The registry has no schema with the id in the header. */
  | "UNKNOWN_SCHEMA_ID"
  /** The writer's record is not a type this reader knows (not in `schemas/avro`). */
  | "UNKNOWN_RECORD_TYPE"
  /** The writer's schema cannot be resolved into this reader's schema. */
  | "SCHEMA_RESOLUTION"
  /** The Avro body does not match the writer's schema (bad union index, trailing bytes, …). */
  | "INVALID_BODY";

export interface DecodeError {
  readonly kind: DecodeErrorKind;
  readonly message: string;
  /** Schema id from the header, when the header was readable. */
  readonly schemaId?: number;
}

export const decodeError = (
  kind: DecodeErrorKind,
  message: string,
  schemaId?: number,
): DecodeError => (schemaId === undefined ? { kind, message } : { kind, message, schemaId });

/** Text for a DLQ reason header: `KIND: message`. */
export const describeDecodeError = (e: DecodeError): string => `${e.kind}: ${e.message}`;

/** Thrown (not returned) when the registry cannot be asked: transient, retry the record. */
export class RegistryUnavailableError extends Error {
  override readonly name = "RegistryUnavailableError";
  /** For consumer loops: rethrow (kafkajs retries the record) instead of dead-lettering. */
  readonly retryable = true;
}

/** Thrown by encode: the value does not fit the current schema (a bug in the writer). */
export class EncodeError extends Error {
  override readonly name = "EncodeError";
  readonly paths: readonly string[];
  constructor(message: string, paths: readonly string[]) {
    super(paths.length > 0 ? `${message} at ${paths.join(", ")}` : message);
    this.paths = paths;
  }
}
