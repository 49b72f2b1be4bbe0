import { hash } from "node:crypto";

// Output event ids: a UUID-shaped SHA-256 of (pair, seq), the same for the
// same output on every run. One per output record, so it is on the hot path:
// node's one-shot `crypto.hash` spends ~3 µs of call overhead on a 30-byte
// message; the message always fits two blocks, so SHA-256 runs here in plain
// integer arithmetic (~0.3 µs), tested equal to node's for every pair and
// many sequence numbers. Anything unusual (non-ASCII, long) goes to node's.

const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);
const H0 = new Int32Array([
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
]);
const W = new Int32Array(64);
const H = new Int32Array(8);
/** Two blocks: messages up to 119 bytes. */
const MSG = new Uint8Array(128);
const MAX_SHORT = 119;

/** SHA-256 of MSG[0, len) into H (len ≤ 119). */
function sha256Short(len: number): void {
  const blocks = len + 9 <= 64 ? 1 : 2;
  const total = blocks * 64;
  MSG[len] = 0x80;
  MSG.fill(0, len + 1, total - 4);
  const bits = len * 8;
  MSG[total - 4] = bits >>> 24;
  MSG[total - 3] = bits >>> 16;
  MSG[total - 2] = bits >>> 8;
  MSG[total - 1] = bits;
  H.set(H0);
  for (let blk = 0; blk < total; blk += 64) {
    for (let t = 0; t < 16; t++) {
      const p = blk + t * 4;
      W[t] = (MSG[p]! << 24) | (MSG[p + 1]! << 16) | (MSG[p + 2]! << 8) | MSG[p + 3]!;
    }
    for (let t = 16; t < 64; t++) {
      const x = W[t - 15]!;
      const y = W[t - 2]!;
      const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
      const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
      W[t] = (W[t - 16]! + s0 + W[t - 7]! + s1) | 0;
    }
    let a = H[0]!;
    let b = H[1]!;
    let c = H[2]!;
    let d = H[3]!;
    let e = H[4]!;
    let f = H[5]!;
    let g = H[6]!;
    let h = H[7]!;
    for (let t = 0; t < 64; t++) {
      const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
      const ch = (e & f) ^ (~e & g);
      const t1 = (h + S1 + ch + K[t]! + W[t]!) | 0;
      const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
      const maj = (a & b) ^ (a & c) ^ (b & c);
      const t2 = (S0 + maj) | 0;
      h = g;
      g = f;
      f = e;
      e = (d + t1) | 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) | 0;
    }
    H[0] = (H[0]! + a) | 0;
    H[1] = (H[1]! + b) | 0;
    H[2] = (H[2]! + c) | 0;
    H[3] = (H[3]! + d) | 0;
    H[4] = (H[4]! + e) | 0;
    H[5] = (H[5]! + f) | 0;
    H[6] = (H[6]! + g) | 0;
    H[7] = (H[7]! + h) | 0;
  }
}

/** The first 16 bytes of SHA-256(`text`). */
const DIGEST = Buffer.alloc(16);
function digest16(text: string): Buffer {
  const n = text.length;
  let ascii = n <= MAX_SHORT;
  for (let i = 0; ascii && i < n; i++) {
    const ch = text.charCodeAt(i);
    if (ch >= 0x80) ascii = false;
    else MSG[i] = ch;
  }
  if (!ascii) {
    (hash("sha256", text, "buffer") as unknown as Buffer).copy(DIGEST, 0, 0, 16);
    return DIGEST;
  }
  sha256Short(n);
  for (let i = 0; i < 4; i++) DIGEST.writeInt32BE(H[i]!, i * 4);
  return DIGEST;
}

const HEX_DIGITS = Buffer.from("0123456789abcdef", "latin1");
/** Scratch for one id's 36 characters (ids are made one at a time). */
const ID_CHARS = Buffer.alloc(36);

/** A UUID-shaped id derived from (pair, seq): the same output always gets the same id. */
export function outputEventId(symbol: string, seq: number): string {
  const d = digest16(`fx.executions/${symbol}/${seq}`);
  // Version-5-like layout (name-based) so it reads as a UUID everywhere: the
  // first 16 bytes of the digest in hex with dashes, version nibble 5,
  // variant bits 10. Written as bytes, read back as one string.
  const c = ID_CHARS;
  let at = 0;
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) c[at++] = 0x2d; // "-"
    const byte = i === 8 ? (d[8]! & 0x3f) | 0x80 : d[i]!;
    c[at++] = i === 6 ? 0x35 /* "5" */ : HEX_DIGITS[byte >> 4]!;
    c[at++] = HEX_DIGITS[byte & 15]!;
  }
  return c.toString("latin1", 0, 36);
}
