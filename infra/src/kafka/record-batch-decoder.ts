// A leaner decoder for uncompressed v2 record batches in fetch responses,
// returning exactly what kafkajs's own (recordBatch/v0/decoder) returns. Per
// record kafkajs made a sub-Decoder, parsed the batch's first offset and
// timestamp from strings into Longs and added them up (BigInt arithmetic)
// and built the headers with an object spread per header: ~4 µs per record
// on the matcher's one thread. Here offsets and timestamps are numbers
// (exact below 2^53, else BigInt) and everything is read in one pass.
// Compressed, partial or unusual batches go to kafkajs's decoder.

export interface KafkajsDecoder {
  readonly buffer: Buffer;
  offset: number;
}

type BatchDecoder = (decoder: KafkajsDecoder) => Promise<unknown>;

const COMPRESSION_MASK = 0x07;
const TIMESTAMP_TYPE_FLAG_MASK = 0x08;
const TRANSACTIONAL_FLAG_MASK = 0x10;
const CONTROL_FLAG_MASK = 0x20;
/** kafkajs's TimestampTypes. */
const CREATE_TIME = 0;
const LOG_APPEND_TIME = 1;
/** firstOffset(8) length(4) leaderEpoch(4) magic(1) crc(4) attributes(2) ... records count(4): 61 bytes. */
const HEADER_BYTES = 61;

interface Cursor {
  pos: number;
}

/** A zigzag varint of at most 5 bytes (int32), as kafkajs reads it. */
function varInt(buf: Buffer, c: Cursor): number {
  let result = 0;
  let shift = 0;
  let b: number;
  do {
    if (shift > 28) throw new RangeError("varint longer than 5 bytes");
    b = buf[c.pos++]!;
    result += (b & 0x7f) << shift;
    shift += 7;
  } while (b & 0x80);
  return (result >>> 1) ^ -(result & 1);
}

/** A zigzag varlong as a number when exact (|n| < 2^52), else a bigint. */
function varLong(buf: Buffer, c: Cursor): number | bigint {
  let z = 0;
  let k = 1;
  let b: number;
  let i = 0;
  const start = c.pos;
  do {
    b = buf[c.pos++]!;
    z += (b & 0x7f) * k;
    k *= 128;
    if (++i > 7) {
      // Wider than 49 bits: redo it exactly.
      c.pos = start;
      return bigVarLong(buf, c);
    }
  } while (b & 0x80);
  return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
}

function bigVarLong(buf: Buffer, c: Cursor): bigint {
  let z = 0n;
  let shift = 0n;
  let b: number;
  do {
    if (shift > 63n) throw new RangeError("varlong longer than 10 bytes");
    b = buf[c.pos++]!;
    z |= BigInt(b & 0x7f) << shift;
    shift += 7n;
  } while (b & 0x80);
  z = BigInt.asUintN(64, z);
  return (z >> 1n) ^ -(z & 1n);
}

function bytes(buf: Buffer, c: Cursor): Buffer | null {
  const len = varInt(buf, c);
  if (len === -1) return null;
  const end = c.pos + len;
  if (len < 0 || end > buf.length) throw new RangeError("bytes beyond the record");
  const out = buf.subarray(c.pos, end);
  c.pos = end;
  return out;
}

/** first + delta as the decimal string kafkajs's Long arithmetic gives. */
function sum(first: bigint, firstNum: number, delta: number | bigint): string {
  if (typeof delta === "number" && Number.isSafeInteger(firstNum)) {
    const n = firstNum + delta;
    if (Number.isSafeInteger(n)) return String(n);
  }
  return (first + BigInt(delta)).toString();
}

/**
 * Wraps kafkajs's record batch decoder: uncompressed, complete batches are
 * decoded here, anything else by `original` (which also raises kafkajs's
 * partial-batch error the fetch loop relies on).
 */
export function leanRecordBatchDecoder(original: BatchDecoder): BatchDecoder {
  return async (fetchDecoder) => {
    const buf = fetchDecoder.buffer;
    const at = fetchDecoder.offset;
    if (buf.length - at < HEADER_BYTES) return original(fetchDecoder);
    const length = buf.readInt32BE(at + 8);
    const end = at + 12 + length;
    const attributes = buf.readInt16BE(at + 21);
    if (end > buf.length || length < HEADER_BYTES - 12 || (attributes & COMPRESSION_MASK) !== 0)
      return original(fetchDecoder);
    const firstOffsetBig = buf.readBigInt64BE(at);
    const firstTimestampBig = buf.readBigInt64BE(at + 27);
    const maxTimestampBig = buf.readBigInt64BE(at + 35);
    const timestampType =
      (attributes & TIMESTAMP_TYPE_FLAG_MASK) > 0 ? LOG_APPEND_TIME : CREATE_TIME;
    const recordContext = {
      firstOffset: firstOffsetBig.toString(),
      firstTimestamp: firstTimestampBig.toString(),
      partitionLeaderEpoch: buf.readInt32BE(at + 12),
      inTransaction: (attributes & TRANSACTIONAL_FLAG_MASK) > 0,
      isControlBatch: (attributes & CONTROL_FLAG_MASK) > 0,
      lastOffsetDelta: buf.readInt32BE(at + 23),
      producerId: buf.readBigInt64BE(at + 43).toString(),
      producerEpoch: buf.readInt16BE(at + 51),
      firstSequence: buf.readInt32BE(at + 53),
      maxTimestamp: maxTimestampBig.toString(),
      timestampType,
    };
    const magicByte = buf.readInt8(at + 16);
    const batchContext = { ...recordContext, magicByte };
    const count = buf.readInt32BE(at + 57);
    const records = new Array(Math.max(0, count));
    const firstOffsetNum = Number(firstOffsetBig);
    const firstTimestampNum = Number(firstTimestampBig);
    const logAppend = timestampType === LOG_APPEND_TIME && recordContext.maxTimestamp;
    const c: Cursor = { pos: at + HEADER_BYTES };
    try {
      for (let i = 0; i < count; i++) {
        const size = varInt(buf, c);
        const recordEnd = c.pos + size;
        if (size < 0 || recordEnd > end) throw new RangeError("record beyond the batch");
        const recordAttributes = buf.readInt8(c.pos++);
        const timestampDelta = varLong(buf, c);
        const timestamp = logAppend
          ? recordContext.maxTimestamp
          : sum(firstTimestampBig, firstTimestampNum, timestampDelta);
        const offset = sum(firstOffsetBig, firstOffsetNum, varInt(buf, c));
        const key = bytes(buf, c);
        const value = bytes(buf, c);
        const headerCount = varInt(buf, c);
        const headers: Record<string, Buffer | null | Array<Buffer | null>> = {};
        for (let h = 0; h < headerCount; h++) {
          const keyBytes = bytes(buf, c);
          const name = keyBytes === null ? "null" : keyBytes.toString("utf8");
          // kafkajs builds headers by spreading; "__proto__" as a plain key would not survive this.
          if (name === "__proto__") throw new RangeError("header named __proto__");
          const v = bytes(buf, c);
          const seen = headers[name];
          headers[name] = seen === undefined ? v : Array.isArray(seen) ? [...seen, v] : [seen, v];
        }
        if (c.pos !== recordEnd) throw new RangeError("record length mismatch");
        records[i] = {
          magicByte,
          attributes: recordAttributes,
          timestamp,
          offset,
          key,
          value,
          headers,
          isControlRecord: recordContext.isControlBatch,
          batchContext,
        };
      }
    } catch (err) {
      if (!(err instanceof RangeError)) throw err;
      // Something this decoder does not expect: kafkajs's decoder decides.
      return original(fetchDecoder);
    }
    fetchDecoder.offset = end;
    return { ...recordContext, records };
  };
}
