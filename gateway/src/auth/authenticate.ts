// Verifies a signed request: headers present, timestamp within the window
// (a distinct error carrying server time), key known and active, signature
// right, signature never seen. Checks are ordered cheapest first; the replay
// cache is written only for a request that is otherwise valid.

import type { Principal } from "./principal.ts";
import type { ReplayCache } from "./replay-cache.ts";
import {
  type HmacKey,
  HEADER_KEY,
  HEADER_SIGNATURE,
  HEADER_TIMESTAMP,
  SIGNATURE_WINDOW_MS,
  verifySignature,
} from "./signing.ts";

export interface ActiveKey {
  readonly principal: Principal;
  readonly secret: HmacKey;
}

export interface KeyLookup {
  find(keyId: string): Promise<ActiveKey | null>;
  /**
   * The key when it is already in memory and fresh (null: known to be absent),
   * undefined when only `find` can tell. Lets a request with a cached key be
   * verified without waiting a turn.
   */
  cached?(keyId: string): ActiveKey | null | undefined;
}

export type AuthResult = { ok: true; principal: Principal } | { ok: false; error: AuthError };

export type AuthError =
  | { readonly code: "MISSING_CREDENTIALS"; readonly message: string }
  | { readonly code: "CLOCK_SKEW"; readonly message: string; readonly serverTime: number }
  | { readonly code: "UNKNOWN_KEY"; readonly message: string }
  | { readonly code: "BAD_SIGNATURE"; readonly message: string }
  | { readonly code: "REPLAYED_SIGNATURE"; readonly message: string }
  | { readonly code: "REPLAY_CACHE_FULL"; readonly message: string };

export interface SignedRequest {
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly method: string;
  /** Path and query exactly as sent on the request line. */
  readonly url: string;
  readonly body: string | Buffer;
}

const header = (h: SignedRequest["headers"], name: string): string | undefined => {
  const v = h[name];
  return Array.isArray(v) ? undefined : v; // a repeated auth header is not credentials
};

const TIMESTAMP = /^[0-9]{1,15}$/;

/**
 * The outcome at once when the key is cached (the usual case at order rates),
 * else a promise of it. Key-store failures reject.
 */
export const authenticateNow = (
  req: SignedRequest,
  keys: KeyLookup,
  replay: ReplayCache,
  nowMs: number,
): AuthResult | Promise<AuthResult> => {
  const keyId = header(req.headers, HEADER_KEY);
  const ts = header(req.headers, HEADER_TIMESTAMP);
  const sig = header(req.headers, HEADER_SIGNATURE);
  if (!keyId || !ts || !sig) {
    return fail({
      code: "MISSING_CREDENTIALS",
      message: `signed requests need the ${HEADER_KEY}, ${HEADER_TIMESTAMP} and ${HEADER_SIGNATURE} headers`,
    });
  }
  if (!TIMESTAMP.test(ts)) {
    return fail({
      code: "BAD_SIGNATURE",
      message: `${HEADER_TIMESTAMP} must be milliseconds since the epoch`,
    });
  }
  if (Math.abs(Number(ts) - nowMs) > SIGNATURE_WINDOW_MS) {
    return fail({
      code: "CLOCK_SKEW",
      message: `timestamp ${ts} is more than ${SIGNATURE_WINDOW_MS} ms from server time ${nowMs}`,
      serverTime: nowMs,
    });
  }
  if (keyId.length > 64) return withKey(req, null, ts, sig, replay, nowMs);
  const cached = keys.cached?.(keyId);
  if (cached !== undefined) return withKey(req, cached, ts, sig, replay, nowMs);
  return keys.find(keyId).then((key) => withKey(req, key, ts, sig, replay, nowMs));
};

export const authenticate = async (
  req: SignedRequest,
  keys: KeyLookup,
  replay: ReplayCache,
  nowMs: number,
): Promise<AuthResult> => authenticateNow(req, keys, replay, nowMs);

const withKey = (
  req: SignedRequest,
  key: ActiveKey | null,
  ts: string,
  sig: string,
  replay: ReplayCache,
  nowMs: number,
): AuthResult => {
  if (!key) return fail({ code: "UNKNOWN_KEY", message: "unknown or revoked API key" });
  if (!verifySignature(key.secret, ts, req.method, req.url, req.body, sig)) {
    return fail({ code: "BAD_SIGNATURE", message: "signature does not match the request" });
  }
  // The verified signature alone names the request: another key's signature
  // equal to it is an HMAC collision.
  const seen = replay.check(sig, nowMs);
  if (seen === "replayed")
    return fail({ code: "REPLAYED_SIGNATURE", message: "this signature was already used" });
  if (seen === "full")
    return fail({
      code: "REPLAY_CACHE_FULL",
      message: "too many signed requests in flight; retry shortly",
    });
  return { ok: true, principal: key.principal };
};

const fail = (error: AuthError): AuthResult => ({ ok: false, error });
