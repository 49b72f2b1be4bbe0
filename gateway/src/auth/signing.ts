// Request signatures. The client signs
//   "<timestamp ms>\n<METHOD>\n<path with query>\n<hex sha256 of the raw body>"
// with HMAC-SHA256 under its API secret and sends the hex digest. Binding the
// body hash, not the body, keeps the string short and the scheme streamable.
//
// HMAC through createHmac on a KeyObject made once per secret, with a hex
// digest: on Node 24 a Buffer-returning digest (an ArrayBuffer each) cost more
// than the hashing itself, so nothing here returns a Buffer per request.

import { createHmac, createSecretKey, hash, KeyObject } from "node:crypto";

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

/** The KeyObject of a raw secret, made on first use. */
const keyObjects = new WeakMap<Buffer, KeyObject>();
const keyObjectOf = (secret: HmacKey): KeyObject => {
  if (secret instanceof KeyObject) return secret;
  let k = keyObjects.get(secret);
  if (k === undefined) {
    k = createSecretKey(secret);
    keyObjects.set(secret, k);
  }
  return k;
};

const signHex = (
  secret: HmacKey,
  timestampMs: string,
  method: string,
  pathWithQuery: string,
  body: string | Buffer,
): string =>
  createHmac("sha256", keyObjectOf(secret))
    .update(canonicalString(timestampMs, method, pathWithQuery, body))
    .digest("hex");

export const sign = (
  secret: HmacKey,
  timestampMs: string,
  method: string,
  pathWithQuery: string,
  body: string | Buffer,
): string => signHex(secret, timestampMs, method, pathWithQuery, body);

/** 64 lowercase hex digits (a loop: no regex state per request). */
const isHex64 = (s: string): boolean => {
  if (s.length !== 64) return false;
  for (let i = 0; i < 64; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) return false;
  }
  return true;
};

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
  const expected = signHex(secret, timestampMs, method, pathWithQuery, body);
  // Every character is compared whatever the first difference (both are 64 hex digits).
  let diff = 0;
  for (let i = 0; i < 64; i++) diff |= expected.charCodeAt(i) ^ givenHex.charCodeAt(i);
  return diff === 0;
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
