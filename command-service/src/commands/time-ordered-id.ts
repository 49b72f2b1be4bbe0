// OrderIDs and event ids as UUIDv7 (RFC 9562: 48-bit Unix milliseconds, then
// random bits). Ids made later sort later, so the event store's unique
// indexes on event ids and on order streams ("order-<id>") take inserts at
// their right edge instead of on random pages (ADR 056).
import { randomFillSync } from "node:crypto";

// Two ids per command are made on the hot path: the random part comes as hex
// text sliced from one fill of many ids, and the timestamp's hex is kept for
// its millisecond, instead of a Buffer view and a hex encode per id.
const IDS_PER_FILL = 512;
const RANDOM_HEX_PER_ID = 20; // 80 bits: 4 bits version, 2 bits variant, 74 random
const entropy = Buffer.alloc((RANDOM_HEX_PER_ID / 2) * IDS_PER_FILL);
let hex = "";
let next = 0;
let lastMs = -1;
let msHex = "";

const VARIANT = "89ab";

/** A fresh UUIDv7, canonical lowercase text. */
export function uuidV7(nowMs: number = Date.now()): string {
  if (next === hex.length) {
    randomFillSync(entropy);
    hex = entropy.toString("hex");
    next = 0;
  }
  if (nowMs !== lastMs) {
    lastMs = nowMs;
    msHex = nowMs.toString(16).padStart(12, "0");
  }
  const r = hex.slice(next, next + RANDOM_HEX_PER_ID);
  next += RANDOM_HEX_PER_ID;
  // r[0..2]: 12 bits after the version nibble; r[3]: the variant (10xx) from 2 random bits.
  const variant = VARIANT[Number.parseInt(r[3] as string, 16) & 3] as string;
  return `${msHex.slice(0, 8)}-${msHex.slice(8)}-7${r.slice(0, 3)}-${variant}${r.slice(4, 7)}-${r.slice(8)}`;
}
