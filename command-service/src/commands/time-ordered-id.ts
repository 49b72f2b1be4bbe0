// OrderIDs and event ids as UUIDv7 (RFC 9562: 48-bit Unix milliseconds, then
// random bits). Ids made later sort later, so the event store's unique
// indexes on event ids and on order streams ("order-<id>") take inserts at
// their right edge instead of on random pages (ADR 056).
import { randomFillSync } from "node:crypto";

// Three ids per command are made on the hot path. Each is copied together in
// one small buffer and read out as one flat string: its millisecond's 13
// characters ("xxxxxxxx-xxxx", kept while the millisecond lasts) and a
// random 23-character tail ("-7xxx-yxxx-xxxxxxxxxxxx") formatted in bulk for
// many ids per fill of random bytes.
const IDS_PER_FILL = 512;
const TAIL = 23;
const RANDOM_BYTES_PER_ID = 10; // 80 bits: 4 bits version, 2 bits variant, 74 random
const entropy = Buffer.alloc(RANDOM_BYTES_PER_ID * IDS_PER_FILL);
const tails = Buffer.alloc(TAIL * IDS_PER_FILL);
const VARIANT = Buffer.from("89ab", "latin1");
const DASH = 0x2d;
const id = Buffer.alloc(36);
let next = IDS_PER_FILL;
let lastMs = -1;

/** Each byte's two lowercase hex digits, ASCII (byte b at 2b, 2b+1). */
const HEX_PAIRS = Buffer.alloc(512);
for (let b = 0; b < 256; b++) HEX_PAIRS.write(b.toString(16).padStart(2, "0"), 2 * b, "latin1");
/** Where each random byte's two digits go in a tail "-dddd-dddd-dddddddddddd". */
const PAIR_AT = [1, 3, 6, 8, 11, 13, 15, 17, 19, 21] as const;

/** Formats the random tails of the next IDS_PER_FILL ids: a table read per byte, not per nibble. */
function refill(): void {
  randomFillSync(entropy);
  for (let n = 0; n < IDS_PER_FILL; n++) {
    const r = n * RANDOM_BYTES_PER_ID;
    const t = n * TAIL;
    tails[t] = DASH;
    tails[t + 5] = DASH;
    tails[t + 10] = DASH;
    for (let b = 0; b < RANDOM_BYTES_PER_ID; b++) {
      const at = t + (PAIR_AT[b] as number);
      const pair = 2 * (entropy[r + b] as number);
      tails[at] = HEX_PAIRS[pair] as number;
      tails[at + 1] = HEX_PAIRS[pair + 1] as number;
    }
    // Hex digit 0 becomes the version (7), digit 4 the variant (10xx: its 2 low bits stay random).
    tails[t + 1] = 0x37;
    tails[t + 6] = VARIANT[((entropy[r + 2] as number) >> 4) & 3] as number;
  }
  next = 0;
}

/** Node's unchecked Latin-1 read behind Buffer#toString (the copy is all ASCII). */
interface Latin1Buffer extends Buffer {
  latin1Slice(start: number, end: number): string;
}

/** A fresh UUIDv7, canonical lowercase text. */
export function uuidV7(nowMs: number = Date.now()): string {
  if (next === IDS_PER_FILL) refill();
  if (nowMs !== lastMs) {
    lastMs = nowMs;
    const msHex = nowMs.toString(16).padStart(12, "0");
    id.write(msHex.slice(0, 8), 0, 8, "latin1");
    id[8] = DASH;
    id.write(msHex.slice(8), 9, 4, "latin1");
  }
  tails.copy(id, 13, next * TAIL, (next + 1) * TAIL);
  next++;
  return (id as Latin1Buffer).latin1Slice(0, 36);
}
