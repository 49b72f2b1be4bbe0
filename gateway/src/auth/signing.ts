// Request signatures. The client signs
//   "<timestamp ms>\n<METHOD>\n<path with query>\n<hex sha256 of the raw body>"
// with HMAC-SHA256 under its API secret and sends the hex digest. Binding the
// body hash, not the body, keeps the string short and the scheme streamable.
//
// HMAC is computed as RFC 2104 spells it, H((K^opad) || H((K^ipad) || m)),
// with the padded key blocks prepared once per key and two one-shot hashes:
// a createHmac object per request cost more than the hashing itself.

import { hash, KeyObject, timingSafeEqual } from "node:crypto";

/** A secret as bytes or a secret KeyObject (prepared once, on first use). */
export type HmacKey = Buffer | KeyObject;

export const HEADER_KEY = "fx-key";
export const HEADER_TIMESTAMP = "fx-timestamp";
export const HEADER_SIGNATURE = "fx-signature";

/** Accepted distance between the client's timestamp and the server clock. */
export const SIGNATURE_WINDOW_MS = 5_000;

// One-shot hash: no Hash object per request.
export const sha256Hex = (body: string | Buffer): string => hash("sha256", body, "hex");

export const canonicalString = (
  timestampMs: string,
  method: string,
  pathWithQuery: string,
  body: string | Buffer,
): string => `${timestampMs}\n${method.toUpperCase()}\n${pathWithQuery}\n${sha256Hex(body)}`;

const BLOCK = 64; // SHA-256 block size
const DIGEST = 32;

interface PreparedKey {
  /** K^ipad followed by room for the message. */
  inner: Buffer;
  /** K^opad followed by the inner digest. */
  readonly outer: Buffer;
}

const prepared = new WeakMap<object, PreparedKey>();

const prepare = (secret: HmacKey): PreparedKey => {
  const hit = prepared.get(secret);
  if (hit) return hit;
  let k: Buffer = secret instanceof KeyObject ? secret.export() : secret;
  if (k.length > BLOCK) k = hash("sha256", k, "buffer");
  const inner = Buffer.alloc(BLOCK + 512);
  const outer = Buffer.alloc(BLOCK + DIGEST);
  for (let i = 0; i < BLOCK; i++) {
    const b = k[i] ?? 0;
    inner[i] = b ^ 0x36;
    outer[i] = b ^ 0x5c;
  }
  const p = { inner, outer };
  prepared.set(secret, p);
  return p;
};

/** HMAC-SHA256 of a latin1/ASCII message (the canonical string is ASCII but the path). */
const hmacSha256 = (secret: HmacKey, message: string): Buffer => {
  const p = prepare(secret);
  const length = Buffer.byteLength(message, "utf8");
  if (BLOCK + length > p.inner.length) {
    const grown = Buffer.alloc(BLOCK + 2 * length);
    p.inner.copy(grown, 0, 0, BLOCK);
    p.inner = grown;
  }
  p.inner.write(message, BLOCK, "utf8");
  hash("sha256", p.inner.subarray(0, BLOCK + length), "buffer").copy(p.outer, BLOCK);
  return hash("sha256", p.outer, "buffer");
};

const signBytes = (
  secret: HmacKey,
  timestampMs: string,
  method: string,
  pathWithQuery: string,
  body: string | Buffer,
): Buffer => hmacSha256(secret, canonicalString(timestampMs, method, pathWithQuery, body));

export const sign = (
  secret: HmacKey,
  timestampMs: string,
  method: string,
  pathWithQuery: string,
  body: string | Buffer,
): string => signBytes(secret, timestampMs, method, pathWithQuery, body).toString("hex");

/** 64 lowercase hex digits (a loop: no regex state per request). */
const isHex64 = (s: string): boolean => {
  if (s.length !== 64) return false;
  for (let i = 0; i < 64; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) return false;
  }
  return true;
};
/** The given signature's bytes, decoded into one buffer (verification is synchronous). */
const givenBytes = Buffer.alloc(DIGEST);

/** Constant-time check of a hex signature against the one we compute. */
export const verifySignature = (
  secret: HmacKey,
  timestampMs: string,
  method: string,
  pathWithQuery: string,
  body: string | Buffer,
  givenHex: string,
): boolean => {
  if (!isHex64(givenHex)) return false;
  const expected = signBytes(secret, timestampMs, method, pathWithQuery, body);
  givenBytes.write(givenHex, 0, "hex");
  return timingSafeEqual(expected, givenBytes);
};

/** Headers a client sends: the one helper the README, tests and the benchmark use. */
export const signedHeaders = (
  keyId: string,
  secret: HmacKey,
  method: string,
  pathWithQuery: string,
  body: string | Buffer,
  nowMs: number,
): Record<string, string> => {
  const ts = String(nowMs);
  return {
    [HEADER_KEY]: keyId,
    [HEADER_TIMESTAMP]: ts,
    [HEADER_SIGNATURE]: sign(secret, ts, method, pathWithQuery, body),
  };
};
