// Argument values the CLI (and the HTTP endpoints) accept, parsed into values
// or a clear message: instants, sequence numbers, pairs.
import type { AsOf } from "../book/book-at.ts";

export type Parsed<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly message: string };

const ISO = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/;

/** An instant: ns since the epoch (digits) or ISO-8601 with a zone and up to 9 fractional digits. */
export function parseInstant(text: string, what = "instant"): Parsed<bigint> {
  const t = text.trim();
  if (/^\d{1,19}$/.test(t)) return { ok: true, value: BigInt(t) };
  const m = ISO.exec(t);
  if (m !== null) {
    const ms = Date.parse(`${m[1]}${m[3]}`);
    if (!Number.isNaN(ms)) {
      const frac = BigInt((m[2] ?? "").padEnd(9, "0"));
      return { ok: true, value: BigInt(ms) * 1_000_000n + frac };
    }
  }
  return {
    ok: false,
    message: `malformed ${what} "${text}": use ISO-8601 with a zone (2026-11-23T14:00:00.123456789Z) or ns since the epoch`,
  };
}

export function parseSeq(text: string, what = "sequence number"): Parsed<number> {
  const t = text.trim();
  const n = /^\d{1,15}$/.test(t) ? Number(t) : Number.NaN;
  return Number.isSafeInteger(n) && n >= 1
    ? { ok: true, value: n }
    : { ok: false, message: `malformed ${what} "${text}": a positive integer` };
}

export function parsePair(text: string): Parsed<string> {
  const t = text.trim().replace("/", "").toUpperCase();
  return /^[A-Z]{6}$/.test(t)
    ? { ok: true, value: t }
    : { ok: false, message: `malformed pair "${text}" (e.g. EURUSD or EUR/USD)` };
}

/** Exactly one of --at / --seq / --latest. */
export function parseAsOf(
  at: string | undefined,
  seq: string | undefined,
  latest: boolean,
): Parsed<AsOf> {
  const given = [at !== undefined, seq !== undefined, latest].filter(Boolean).length;
  if (given !== 1)
    return { ok: false, message: "give exactly one of --at <instant>, --seq <n>, --latest" };
  if (at !== undefined) {
    const t = parseInstant(at);
    return t.ok ? { ok: true, value: { kind: "time", ns: t.value } } : t;
  }
  if (seq !== undefined) {
    const n = parseSeq(seq);
    return n.ok ? { ok: true, value: { kind: "seq", seq: n.value } } : n;
  }
  return { ok: true, value: { kind: "latest" } };
}
