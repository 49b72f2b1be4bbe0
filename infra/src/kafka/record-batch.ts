import type { IHeaders } from "kafkajs";

// Kafka record batch (magic 2) and Produce request (v3+) bodies, written in
// one pass into one buffer: the transactional producer's hot path (ADR 091).
// kafkajs builds each record in its own zeroed 512-byte encoder and copies it
// several times; the bytes here are the same (tested against kafkajs's own
// encoder), uncompressed.

export interface BatchRecord {
  readonly key?: Buffer | string | null;
  readonly value: Buffer | string | null;
  readonly headers?: IHeaders;
  /** Milliseconds since the epoch, as text (kafkajs's convention); default: the batch's time. */
  readonly timestamp?: string;
}

export interface RecordBatchHeader {
  readonly producerId: string | number;
  readonly producerEpoch: number;
  readonly baseSequence: number;
  readonly transactional: boolean;
  /** The time of records without their own timestamp (ms since the epoch). */
  readonly now: number;
}

// --- CRC-32C (Castagnoli), slicing by 8 ----------------------------------------

const CRC_TABLES = (() => {
  const t = new Int32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    let c = t[n]!;
    for (let k = 1; k < 8; k++) {
      c = t[c & 0xff]! ^ (c >>> 8);
      t[k * 256 + n] = c;
    }
  }
  return t;
})();

export function crc32c(buf: Uint8Array, start = 0, end = buf.length): number {
  const t = CRC_TABLES;
  let crc = -1;
  let i = start;
  for (; i + 8 <= end; i += 8) {
    const a = crc ^ (buf[i]! | (buf[i + 1]! << 8) | (buf[i + 2]! << 16) | (buf[i + 3]! << 24));
    crc =
      t[1792 + (a & 0xff)]! ^
      t[1536 + ((a >>> 8) & 0xff)]! ^
      t[1280 + ((a >>> 16) & 0xff)]! ^
      t[1024 + (a >>> 24)]! ^
      t[768 + buf[i + 4]!]! ^
      t[512 + buf[i + 5]!]! ^
      t[256 + buf[i + 6]!]! ^
      t[buf[i + 7]!]!;
  }
  for (; i < end; i++) crc = t[(crc ^ buf[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}

// --- varints ------------------------------------------------------------------

/** Bytes of a zigzag varint of a safe integer. */
function varintSize(n: number): number {
  let z = n >= 0 ? n * 2 : -n * 2 - 1;
  let size = 1;
  while (z >= 128) {
    z = Math.floor(z / 128);
    size++;
  }
  return size;
}

function writeVarint(buf: Buffer, pos: number, n: number): number {
  let z = n >= 0 ? n * 2 : -n * 2 - 1;
  while (z >= 128) {
    buf[pos++] = (z % 128) | 128;
    z = Math.floor(z / 128);
  }
  buf[pos++] = z;
  return pos;
}

// --- record batch -------------------------------------------------------------

type Bytes = Buffer | string | null | undefined;
const byteLength = (b: Bytes): number =>
  b === null || b === undefined ? -1 : typeof b === "string" ? Buffer.byteLength(b) : b.length;

function writeBytes(buf: Buffer, pos: number, b: Bytes, len: number): number {
  pos = writeVarint(buf, pos, len);
  if (len <= 0 || b === null || b === undefined) return pos;
  if (typeof b === "string") buf.write(b, pos, len, "utf8");
  else b.copy(buf, pos);
  return pos + len;
}

type HeaderEntry = readonly [string, Buffer | string];

function headerEntries(headers: IHeaders | undefined): HeaderEntry[] {
  if (headers === undefined) return [];
  const out: HeaderEntry[] = [];
  for (const key of Object.keys(headers)) {
    const v = headers[key];
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const x of v) out.push([key, x]);
    else out.push([key, v as Buffer | string]);
  }
  return out;
}

const BATCH_HEADER_BYTES = 61;

/** One record batch (magic 2, uncompressed) holding `records` in order. */
export function encodeRecordBatch(
  header: RecordBatchHeader,
  records: readonly BatchRecord[],
): Buffer {
  const n = records.length;
  if (n === 0) throw new Error("a record batch needs at least one record");
  let firstTs = Number.POSITIVE_INFINITY;
  let maxTs = Number.NEGATIVE_INFINITY;
  const ts = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t = records[i]!.timestamp;
    const v = t === undefined ? header.now : Number(t);
    ts[i] = v;
    if (v < firstTs) firstTs = v;
    if (v > maxTs) maxTs = v;
  }
  // Sizes first, so the batch is written once into a buffer of the right size.
  const bodySizes = new Int32Array(n);
  const keyLens = new Int32Array(n);
  const valueLens = new Int32Array(n);
  const headers: HeaderEntry[][] = new Array(n);
  let total = BATCH_HEADER_BYTES;
  for (let i = 0; i < n; i++) {
    const r = records[i]!;
    const kl = byteLength(r.key);
    const vl = byteLength(r.value);
    keyLens[i] = kl;
    valueLens[i] = vl;
    const hs = headerEntries(r.headers);
    headers[i] = hs;
    let size =
      1 +
      varintSize(ts[i]! - firstTs) +
      varintSize(i) +
      varintSize(kl) +
      Math.max(kl, 0) +
      varintSize(vl) +
      Math.max(vl, 0) +
      varintSize(hs.length);
    for (const [k, v] of hs) {
      const hk = Buffer.byteLength(k);
      const hv = byteLength(v);
      size += varintSize(hk) + hk + varintSize(hv) + Math.max(hv, 0);
    }
    bodySizes[i] = size;
    total += varintSize(size) + size;
  }
  const buf = Buffer.allocUnsafe(total);
  buf.writeBigInt64BE(0n, 0); // base offset (the broker assigns)
  buf.writeInt32BE(total - 12, 8); // batch length: everything after this field
  buf.writeInt32BE(0, 12); // partition leader epoch (the broker sets it; kafkajs writes 0)
  buf.writeInt8(2, 16); // magic
  // crc at 17, written last
  buf.writeInt16BE(header.transactional ? 0x10 : 0, 21); // attributes
  buf.writeInt32BE(n - 1, 23); // last offset delta
  buf.writeBigInt64BE(BigInt(firstTs), 27);
  buf.writeBigInt64BE(BigInt(maxTs), 35);
  buf.writeBigInt64BE(BigInt(header.producerId), 43);
  buf.writeInt16BE(header.producerEpoch, 51);
  buf.writeInt32BE(header.baseSequence, 53);
  buf.writeInt32BE(n, 57);
  let pos = BATCH_HEADER_BYTES;
  for (let i = 0; i < n; i++) {
    const r = records[i]!;
    pos = writeVarint(buf, pos, bodySizes[i]!);
    buf[pos++] = 0; // record attributes
    pos = writeVarint(buf, pos, ts[i]! - firstTs);
    pos = writeVarint(buf, pos, i);
    pos = writeBytes(buf, pos, r.key, keyLens[i]!);
    pos = writeBytes(buf, pos, r.value, valueLens[i]!);
    const hs = headers[i]!;
    pos = writeVarint(buf, pos, hs.length);
    for (const [k, v] of hs) {
      pos = writeBytes(buf, pos, k, Buffer.byteLength(k));
      pos = writeBytes(buf, pos, v, byteLength(v));
    }
  }
  if (pos !== total) throw new Error(`record batch size mismatch: wrote ${pos} of ${total}`);
  buf.writeUInt32BE(crc32c(buf, 21, total), 17);
  return buf;
}

// --- produce request body (v3 to v8 share it) ----------------------------------

export interface ProduceTopic {
  readonly topic: string;
  readonly partitions: ReadonlyArray<{ readonly partition: number; readonly batch: Buffer }>;
}

export function encodeProduceBody(
  transactionalId: string | null,
  acks: number,
  timeoutMs: number,
  topics: readonly ProduceTopic[],
): Buffer {
  let size = 2 + (transactionalId === null ? 0 : Buffer.byteLength(transactionalId)) + 2 + 4 + 4;
  for (const t of topics) {
    size += 2 + Buffer.byteLength(t.topic) + 4;
    for (const p of t.partitions) size += 4 + 4 + p.batch.length;
  }
  const buf = Buffer.allocUnsafe(size);
  let pos = 0;
  if (transactionalId === null) pos = buf.writeInt16BE(-1, pos);
  else {
    pos = buf.writeInt16BE(Buffer.byteLength(transactionalId), pos);
    pos += buf.write(transactionalId, pos, "utf8");
  }
  pos = buf.writeInt16BE(acks, pos);
  pos = buf.writeInt32BE(timeoutMs, pos);
  pos = buf.writeInt32BE(topics.length, pos);
  for (const t of topics) {
    pos = buf.writeInt16BE(Buffer.byteLength(t.topic), pos);
    pos += buf.write(t.topic, pos, "utf8");
    pos = buf.writeInt32BE(t.partitions.length, pos);
    for (const p of t.partitions) {
      pos = buf.writeInt32BE(p.partition, pos);
      pos = buf.writeInt32BE(p.batch.length, pos);
      pos += p.batch.copy(buf, pos);
    }
  }
  return buf;
}
