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
const HEX = Buffer.from("0123456789abcdef", "latin1");
const VARIANT = Buffer.from("89ab", "latin1");
const DASH = 0x2d;
const id = Buffer.alloc(36);
let next = IDS_PER_FILL;
let lastMs = -1;

/** Formats the random tails of the next IDS_PER_FILL ids. */
function refill(): void {
  randomFillSync(entropy);
  for (let n = 0; n < IDS_PER_FILL; n++) {
    const r = n * RANDOM_BYTES_PER_ID;
    const t = n * TAIL;
    // 20 hex digits of the 10 random bytes: digit 0 becomes the version (7),
    // digit 4 the variant (10xx, 2 random bits).
    let d = 0;
    tails[t] = DASH;
    let at = t + 1;
    for (let b = 0; b < RANDOM_BYTES_PER_ID; b++) {
      const byte = entropy[r + b] as number;
      for (let half = 0; half < 2; half++, d++) {
        const nibble = half === 0 ? byte >> 4 : byte & 15;
        if (d === 4 || d === 8) tails[at++] = DASH;
        tails[at++] =
          d === 0 ? 0x37 : d === 4 ? (VARIANT[nibble & 3] as number) : (HEX[nibble] as number);
      }
    }
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
