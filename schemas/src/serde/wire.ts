// Confluent wire format: magic byte 0, schema id as a 4-byte big-endian
// int, then the Avro binary body.

import { err, ok, type Result } from "@fxcore/domain";
import { type DecodeError, decodeError } from "./decode-error.ts";

export const MAGIC_BYTE = 0;
export const HEADER_BYTES = 5;

export interface Framed {
  readonly schemaId: number;
  readonly body: Buffer;
}

export function frame(schemaId: number, body: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(HEADER_BYTES + body.length);
  out.writeUInt8(MAGIC_BYTE, 0);
  out.writeInt32BE(schemaId, 1);
  out.set(body, HEADER_BYTES);
  return out;
}

export function unframe(bytes: Buffer | null | undefined): Result<Framed, DecodeError> {
  if (bytes === null || bytes === undefined || bytes.length === 0) {
    return err(decodeError("TRUNCATED", "record has no value"));
  }
  const magic = bytes[0];
  if (magic !== MAGIC_BYTE) {
    return err(decodeError("BAD_MAGIC_BYTE", `magic byte is ${magic}, expected ${MAGIC_BYTE}`));
  }
  if (bytes.length < HEADER_BYTES) {
    return err(decodeError("TRUNCATED", `${bytes.length} bytes, shorter than the 5-byte header`));
  }
  const schemaId = bytes.readInt32BE(1);
  if (schemaId <= 0) {
    return err(
      decodeError("UNKNOWN_SCHEMA_ID", `schema id ${schemaId} is not a registry id`, schemaId),
    );
  }
  return ok({ schemaId, body: bytes.subarray(HEADER_BYTES) });
}
