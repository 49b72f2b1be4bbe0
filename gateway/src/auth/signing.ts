// Request signatures. The client signs
//   "<timestamp ms>\n<METHOD>\n<path with query>\n<hex sha256 of the raw body>"
// with HMAC-SHA256 under its API secret and sends the hex digest. Binding the
// body hash, not the body, keeps the string short and the scheme streamable.

import { createHmac, hash, type KeyObject, timingSafeEqual } from "node:crypto";

/** A secret as bytes, or pre-imported (cheaper per request). */
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

export const sign = (
  secret: HmacKey,
  timestampMs: string,
  method: string,
  pathWithQuery: string,
  body: string | Buffer,
): string =>
  createHmac("sha256", secret)
    .update(canonicalString(timestampMs, method, pathWithQuery, body))
    .digest("hex");

export const signatureMatches = (expectedHex: string, givenHex: string): boolean => {
  if (!/^[0-9a-f]{64}$/.test(givenHex)) return false;
  return timingSafeEqual(Buffer.from(expectedHex, "hex"), Buffer.from(givenHex, "hex"));
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
