// FIX UTCTimestamp "YYYYMMDD-HH:MM:SS[.sss|.ssssss|.sssssssss]" ⇄ ns since epoch.

import { type TimestampNs, timestampNs } from "@fxcore/domain";
import { decimalDigits } from "./digits.ts";

/** The decimal value of s[from, to) when all of it is ASCII digits, else -1. */
const digitsAt = (s: string, from: number, to: number): number => {
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i) - 0x30;
    if (c < 0 || c > 9) return -1;
    n = n * 10 + c;
  }
  return n;
};

/**
 * Milliseconds of the whole seconds part, or -1 when `s` is not a valid
 * UTCTimestamp: read off the characters, with no match array or substrings
 * (every order's TransactTime passes here).
 */
const secondsMs = (s: string): number => {
  const n = s.length;
  if (n !== 17 && n !== 21 && n !== 24 && n !== 27) return -1;
  if (s.charCodeAt(8) !== 0x2d || s.charCodeAt(11) !== 0x3a || s.charCodeAt(14) !== 0x3a)
    return -1;
  if (n > 17 && (s.charCodeAt(17) !== 0x2e || digitsAt(s, 18, n) < 0)) return -1;
  const y = digitsAt(s, 0, 4);
  const mo = digitsAt(s, 4, 6);
  const d = digitsAt(s, 6, 8);
  const h = digitsAt(s, 9, 11);
  const mi = digitsAt(s, 12, 14);
  const se = digitsAt(s, 15, 17);
  if (y < 0 || mo < 0 || d < 0 || h < 0 || mi < 0 || se < 0) return -1;
  if (y < 1970 || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || se > 59) return -1;
  // Day 0 of the next month is the last day of this one: refuses 20240230 and friends.
  if (d > 28 && d > new Date(Date.UTC(y, mo, 0)).getUTCDate()) return -1;
  return Date.UTC(y, mo - 1, d, h, mi, se);
};

/** Validation only: no bigint work. */
export const isUtcTimestamp = (s: string): boolean => secondsMs(s) >= 0;

export const parseUtcTimestamp = (s: string): TimestampNs | null => {
  const ms = secondsMs(s);
  if (ms < 0) return null;
  const frac = s.slice(18).padEnd(9, "0");
  return timestampNs(BigInt(ms) * 1_000_000n + BigInt(frac));
};

// Reports of one second share their "YYYYMMDD-HH:MM:SS": format it once.
let cachedSecond = Number.NaN;
let cachedBase = "";

/** Milliseconds when that is exact, nanoseconds otherwise. */
export const formatUtcTimestamp = (ns: bigint): string => {
  const sec = ns / 1_000_000_000n;
  let nanos = Number(ns - sec * 1_000_000_000n);
  let second = Number(sec);
  if (nanos < 0) {
    nanos += 1_000_000_000;
    second -= 1;
  }
  if (second !== cachedSecond) {
    const iso = new Date(second * 1000).toISOString(); // 2024-01-02T03:04:05.000Z
    cachedBase = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}-${iso.slice(11, 19)}`;
    cachedSecond = second;
  }
  const digits = decimalDigits(nanos).padStart(9, "0");
  return nanos % 1_000_000 === 0
    ? `${cachedBase}.${digits.slice(0, 3)}`
    : `${cachedBase}.${digits}`;
};
