import { createHash } from "node:crypto";

// A partition's snapshot: every pair's book (the engine's own snapshot bytes)
// plus the input offset it is valid at, sealed with a SHA-256 so a damaged
// record is refused instead of restored.
//
// Layout: "FXPS" | u8 version | u16 offset length | offset (ASCII decimal)
//         | u16 book count | per book: u8 symbol length | symbol | u32 length | bytes
//         | u32 id count | per recent input id: u8 length | id (UTF-8)
//         | 32-byte SHA-256 of everything before it.

const MAGIC = "FXPS";

/** The snapshot topic's key of an input partition (compaction keeps the latest). */
export const snapshotKey = (inputTopic: string, partition: number): string =>
  `${inputTopic}/${partition}`;
const VERSION = 1;

export interface PartitionSnapshot {
  /** Next input offset to apply: every input below it is in the books. */
  readonly nextOffset: bigint;
  readonly books: ReadonlyArray<{ readonly symbol: string; readonly bytes: Uint8Array }>;
  /** The matcher's dedupe window of input event ids, oldest first. */
  readonly recentInputIds: readonly string[];
}

export function encodePartitionSnapshot(snapshot: PartitionSnapshot): Buffer {
  const parts = partitionSnapshotParts(snapshot);
  // One copy of everything: hash the parts, then join them with the digest.
  const hash = createHash("sha256");
  for (const part of parts) hash.update(part);
  parts.push(hash.digest());
  return Buffer.concat(parts);
}

/** The snapshot's bytes before the digest, in parts (book bytes are views, not copies). */
export function partitionSnapshotParts(snapshot: PartitionSnapshot): Buffer[] {
  const offset = Buffer.from(snapshot.nextOffset.toString(), "ascii");
  const parts: Buffer[] = [
    Buffer.from(MAGIC, "ascii"),
    Buffer.from([VERSION]),
    u16(offset.length),
    offset,
  ];
  parts.push(u16(snapshot.books.length));
  for (const book of snapshot.books) {
    const symbol = Buffer.from(book.symbol, "ascii");
    parts.push(
      Buffer.from([symbol.length]),
      symbol,
      u32(book.bytes.length),
      // A view, not a copy: a deep book is megabytes.
      Buffer.from(book.bytes.buffer, book.bytes.byteOffset, book.bytes.byteLength),
    );
  }
  parts.push(u32(snapshot.recentInputIds.length));
  // All ids into one buffer (8,192 small buffers cost more than the bytes).
  const ids = Buffer.allocUnsafe(
    snapshot.recentInputIds.reduce((n, id) => n + 1 + Buffer.byteLength(id, "utf8"), 0),
  );
  let at = 0;
  for (const id of snapshot.recentInputIds) {
    const len = ids.write(id, at + 1, "utf8");
    if (len > 255) throw new Error(`input event id longer than 255 bytes: ${id}`);
    ids[at] = len;
    at += 1 + len;
  }
  parts.push(ids);
  return parts;
}

export type SnapshotDecodeError = { readonly reason: string };

export function decodePartitionSnapshot(
  bytes: Buffer,
): { ok: true; value: PartitionSnapshot } | { ok: false; error: SnapshotDecodeError } {
  const fail = (reason: string) => ({ ok: false as const, error: { reason } });
  if (bytes.length < 4 + 1 + 2 + 2 + 32) return fail("too short");
  const body = bytes.subarray(0, bytes.length - 32);
  const digest = createHash("sha256").update(body).digest();
  if (!digest.equals(bytes.subarray(bytes.length - 32))) return fail("checksum mismatch");
  if (body.toString("ascii", 0, 4) !== MAGIC) return fail("bad magic");
  if (body[4] !== VERSION) return fail(`unsupported version ${body[4]}`);
  let at = 5;
  const need = (n: number) => at + n <= body.length;
  if (!need(2)) return fail("truncated");
  const offLen = body.readUInt16BE(at);
  at += 2;
  if (!need(offLen)) return fail("truncated offset");
  const offText = body.toString("ascii", at, at + offLen);
  at += offLen;
  if (!/^\d+$/.test(offText)) return fail("bad offset");
  if (!need(2)) return fail("truncated");
  const count = body.readUInt16BE(at);
  at += 2;
  const books: Array<{ symbol: string; bytes: Uint8Array }> = [];
  for (let i = 0; i < count; i++) {
    if (!need(1)) return fail("truncated book");
    const symLen = body[at]!;
    at += 1;
    if (!need(symLen + 4)) return fail("truncated book");
    const symbol = body.toString("ascii", at, at + symLen);
    at += symLen;
    const len = body.readUInt32BE(at);
    at += 4;
    if (!need(len)) return fail("truncated book bytes");
    books.push({ symbol, bytes: new Uint8Array(body.subarray(at, at + len)) });
    at += len;
  }
  if (!need(4)) return fail("truncated ids");
  const idCount = body.readUInt32BE(at);
  at += 4;
  const recentInputIds: string[] = [];
  for (let i = 0; i < idCount; i++) {
    if (!need(1)) return fail("truncated id");
    const len = body[at]!;
    at += 1;
    if (!need(len)) return fail("truncated id");
    recentInputIds.push(body.toString("utf8", at, at + len));
    at += len;
  }
  if (at !== body.length) return fail("trailing bytes");
  return { ok: true, value: { nextOffset: BigInt(offText), books, recentInputIds } };
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}
function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}
