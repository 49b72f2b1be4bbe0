// OrderIDs and event ids as UUIDv7 (RFC 9562: 48-bit Unix milliseconds, then
// random bits). Ids made later sort later, so the event store's unique
// indexes on event ids and on order streams ("order-<id>") take inserts at
// their right edge instead of on random pages (ADR 056).
import { randomFillSync } from "node:crypto";

const IDS_PER_FILL = 256;
const entropy = Buffer.alloc(16 * IDS_PER_FILL);
let next = entropy.length;

/** A fresh UUIDv7, canonical lowercase text. */
export function uuidV7(nowMs: number = Date.now()): string {
  if (next === entropy.length) {
    randomFillSync(entropy);
    next = 0;
  }
  const b = entropy.subarray(next, next + 16);
  next += 16;
  b.writeUIntBE(nowMs, 0, 6);
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x70; // version 7
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80; // variant 10
  const h = b.toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
