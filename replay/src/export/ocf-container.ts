// Avro Object Container File framing, without any Avro type machinery: the
// header (schema, codec, sync marker), block framing and the codecs. Split
// from avro-ocf.ts so the book-from-OCF decode worker loads only this.
import { closeSync, openSync, readSync } from "node:fs";
import type { Readable } from "node:stream";
import { inflateRawSync } from "node:zlib";

export const MAGIC = Buffer.from([0x4f, 0x62, 0x6a, 0x01]); // "Obj" 1
export const SYNC_BYTES = 16;

/** Block codecs written and read: none, or raw deflate (RFC 1951) as the Avro spec defines it. */
export type OcfCodec = "null" | "deflate";
export const OCF_CODECS: readonly OcfCodec[] = ["null", "deflate"];

// ---- zig-zag varint longs (safe-integer range) ----

function writeLong(n: number, out: number[]): void {
  let z = n >= 0 ? n * 2 : -n * 2 - 1;
  while (z >= 0x80) {
    out.push((z % 0x80) | 0x80);
    z = Math.floor(z / 0x80);
  }
  out.push(z);
}

export function longBytes(n: number): Buffer {
  const out: number[] = [];
  writeLong(n, out);
  return Buffer.from(out);
}

/** Reads a zig-zag long at `pos`; undefined when the buffer ends first. */
function readLong(
  buf: Buffer,
  pos: number,
  limit = buf.length,
): { value: number; pos: number } | undefined {
  let z = 0;
  let mul = 1;
  for (let i = pos; i < limit; i++) {
    const b = buf[i]!;
    z += (b & 0x7f) * mul;
    mul *= 0x80;
    if ((b & 0x80) === 0) {
      const value = z % 2 === 0 ? z / 2 : -(z + 1) / 2;
      return { value, pos: i + 1 };
    }
  }
  return undefined;
}

export function encodeHeader(schemaJson: string, codec: OcfCodec, sync: Buffer): Buffer {
  const parts: Buffer[] = [MAGIC];
  const meta: [string, Buffer][] = [
    ["avro.schema", Buffer.from(schemaJson, "utf8")],
    ["avro.codec", Buffer.from(codec, "utf8")],
  ];
  parts.push(longBytes(meta.length));
  for (const [k, v] of meta) {
    const key = Buffer.from(k, "utf8");
    parts.push(longBytes(key.length), key, longBytes(v.length), v);
  }
  parts.push(longBytes(0), sync);
  return Buffer.concat(parts);
}

/** One block of an OCF: its record count and its (decompressed) bytes. */
export interface OcfBlock {
  readonly count: number;
  readonly data: Buffer;
}

/** The file's header (writer schema, codec) and its blocks, read in constant memory. */
export interface OcfStream {
  readonly schema: unknown;
  readonly codec: OcfCodec;
  readonly blocks: AsyncGenerator<OcfBlock>;
}

/** Opens an OCF byte stream: reads the header, then yields blocks (sync markers checked, deflate inflated). */
export async function openOcf(input: Readable): Promise<OcfStream> {
  let buf: Buffer = Buffer.alloc(0);
  const chunks = input[Symbol.asyncIterator]();
  const more = async (): Promise<boolean> => {
    const next = await chunks.next();
    if (next.done) return false;
    buf = buf.length === 0 ? (next.value as Buffer) : Buffer.concat([buf, next.value as Buffer]);
    return true;
  };
  for (;;) {
    const h = parseHeader(buf);
    if (h === "bad") throw new Error("not an Avro object container file");
    if (h !== undefined) {
      const codec = h.meta.get("avro.codec")?.toString() ?? "null";
      if (codec !== "null" && codec !== "deflate")
        throw new Error(`unsupported OCF codec ${codec}`);
      const schema = JSON.parse(h.meta.get("avro.schema")?.toString() ?? "null") as unknown;
      buf = buf.subarray(h.end);
      return { schema, codec, blocks: blocks(h.sync, codec) };
    }
    if (!(await more())) throw new Error("truncated OCF header");
  }
  function blocks(sync: Buffer, codec: OcfCodec): AsyncGenerator<OcfBlock> {
    return codec === "deflate" ? inflated(rawBlocks(sync)) : rawBlocks(sync);
  }
  /** Blocks as stored (compressed when the codec compresses). */
  async function* rawBlocks(sync: Buffer): AsyncGenerator<OcfBlock> {
    let rest: Buffer | undefined;
    for (;;) {
      const count = readLong(buf, 0);
      const size = count && readLong(buf, count.pos);
      if (
        count !== undefined &&
        size !== undefined &&
        buf.length >= size.pos + size.value + SYNC_BYTES
      ) {
        const end = size.pos + size.value;
        if (buf.compare(sync, 0, SYNC_BYTES, end, end + SYNC_BYTES) !== 0) {
          throw new Error("OCF sync marker mismatch (corrupt file)");
        }
        const raw = buf.subarray(size.pos, end);
        buf = buf.subarray(end + SYNC_BYTES);
        if (buf.length === 0 && rest !== undefined) {
          buf = rest;
          rest = undefined;
        }
        yield { count: count.value, data: raw };
        continue;
      }
      const next = await chunks.next();
      if (next.done) {
        if (buf.length > 0) throw new Error("truncated OCF block");
        return;
      }
      const chunk = next.value as Buffer;
      const need = size === undefined ? -1 : size.pos + size.value + SYNC_BYTES;
      if (need > 0 && buf.length + chunk.length >= need) {
        // Copy only the block that straddles the chunks; the rest of the chunk stays a view.
        const taken = need - buf.length;
        buf = Buffer.concat([buf, chunk.subarray(0, taken)]);
        rest = chunk.subarray(taken);
      } else {
        buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      }
    }
  }
}

/** An OCF file read block by block with synchronous reads into one reused buffer (for a worker thread). */
export interface OcfFileReader {
  readonly schema: unknown;
  readonly codec: OcfCodec;
  /** The next block, or undefined at the end. Its `data` is valid until the next call. */
  next(): OcfBlock | undefined;
  close(): void;
}

/**
 * Opens an OCF file for a thread that may block: no stream, no buffer per
 * read (a block that straddles two reads is moved to the buffer's start).
 */
export function openOcfFile(path: string, bufferBytes = 512 << 10): OcfFileReader {
  const fd = openSync(path, "r");
  let buf = Buffer.allocUnsafe(bufferBytes);
  let start = 0;
  let end = 0;
  let eof = false;
  const fill = () => {
    if (start > 0) {
      buf.copyWithin(0, start, end);
      end -= start;
      start = 0;
    }
    if (end === buf.length) {
      const bigger = Buffer.allocUnsafe(buf.length * 2);
      buf.copy(bigger, 0, 0, end);
      buf = bigger;
    }
    const n = readSync(fd, buf, end, buf.length - end, null);
    if (n === 0) eof = true;
    end += n;
  };
  const inflate = blockInflater();
  try {
    for (;;) {
      const h = parseHeader(buf.subarray(start, end));
      if (h === "bad") throw new Error("not an Avro object container file");
      if (h !== undefined) {
        const codec = h.meta.get("avro.codec")?.toString() ?? "null";
        if (codec !== "null" && codec !== "deflate")
          throw new Error(`unsupported OCF codec ${codec}`);
        const schema = JSON.parse(h.meta.get("avro.schema")?.toString() ?? "null") as unknown;
        start += h.end;
        return { schema, codec, next: () => nextBlock(h.sync, codec), close: () => closeSync(fd) };
      }
      if (eof) throw new Error("truncated OCF header");
      fill();
    }
  } catch (e) {
    closeSync(fd);
    throw e;
  }
  function nextBlock(sync: Buffer, codec: OcfCodec): OcfBlock | undefined {
    for (;;) {
      const count = readLong(buf, start, end);
      const size = count && readLong(buf, count.pos, end);
      if (count !== undefined && size !== undefined && (count.value < 0 || size.value < 0)) {
        throw new Error("OCF block with a negative count or size (corrupt file)");
      }
      if (count !== undefined && size !== undefined && size.pos + size.value + SYNC_BYTES <= end) {
        const blockEnd = size.pos + size.value;
        if (buf.compare(sync, 0, SYNC_BYTES, blockEnd, blockEnd + SYNC_BYTES) !== 0) {
          throw new Error("OCF sync marker mismatch (corrupt file)");
        }
        const raw = buf.subarray(size.pos, blockEnd);
        start = blockEnd + SYNC_BYTES;
        return { count: count.value, data: codec === "deflate" ? inflate(raw) : raw };
      }
      if (eof) {
        if (start < end) throw new Error("truncated OCF block");
        return undefined;
      }
      fill();
    }
  }
}

/**
 * Deflate blocks inflated in the reading thread. (Inflating a few blocks ahead
 * on the thread pool was tried: on the loaded 2-core host it cost ~20% more CPU
 * per record and gained no wall time.)
 */
async function* inflated(source: AsyncGenerator<OcfBlock>): AsyncGenerator<OcfBlock> {
  const inflate = blockInflater();
  for await (const { count, data } of source) yield { count, data: inflate(data) };
}

/**
 * Inflates a file's blocks with an output chunk larger than the last block
 * inflated (a power of two, 64 KiB to 8 MiB): zlib's default 16 KiB chunks
 * cut our ~64 KiB blocks into five pieces joined by a copy, ~25% of the
 * inflate's CPU on the bench's file.
 */
function blockInflater(): (raw: Buffer) => Buffer {
  let chunkSize = 64 << 10;
  return (raw) => {
    const out = inflateRawSync(raw, { chunkSize });
    while (out.length >= chunkSize && chunkSize < 8 << 20) chunkSize *= 2;
    return out;
  };
}

function parseHeader(
  buf: Buffer,
): { meta: Map<string, Buffer>; sync: Buffer; end: number } | undefined | "bad" {
  if (buf.length < 4) return undefined;
  if (!buf.subarray(0, 4).equals(MAGIC)) return "bad";
  const meta = new Map<string, Buffer>();
  let pos = 4;
  for (;;) {
    const n = readLong(buf, pos);
    if (n === undefined) return undefined;
    pos = n.pos;
    if (n.value === 0) break;
    let count = n.value;
    if (count < 0) {
      const size = readLong(buf, pos);
      if (size === undefined) return undefined;
      pos = size.pos;
      count = -count;
    }
    for (let i = 0; i < count; i++) {
      const k = readLong(buf, pos);
      if (k === undefined || buf.length < k.pos + k.value) return undefined;
      const key = buf.subarray(k.pos, k.pos + k.value).toString("utf8");
      const v = readLong(buf, k.pos + k.value);
      if (v === undefined || buf.length < v.pos + v.value) return undefined;
      meta.set(key, Buffer.from(buf.subarray(v.pos, v.pos + v.value)));
      pos = v.pos + v.value;
    }
  }
  if (buf.length < pos + SYNC_BYTES) return undefined;
  return { meta, sync: Buffer.from(buf.subarray(pos, pos + SYNC_BYTES)), end: pos + SYNC_BYTES };
}
