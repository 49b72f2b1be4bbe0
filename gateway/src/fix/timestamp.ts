// FIX UTCTimestamp "YYYYMMDD-HH:MM:SS[.sss|.ssssss|.sssssssss]" ⇄ ns since epoch.

import { type TimestampNs, timestampNs } from "@fxcore/domain";

const RE = /^(\d{4})(\d{2})(\d{2})-(\d{2}):(\d{2}):(\d{2})(?:\.(\d{3}|\d{6}|\d{9}))?$/;

export const parseUtcTimestamp = (s: string): TimestampNs | null => {
  const m = RE.exec(s);
  if (!m) return null;
  const [y, mo, d, h, mi, se] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (y < 1970 || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || se > 59) return null;
  const ms = Date.UTC(y, mo - 1, d, h, mi, se);
  if (new Date(ms).getUTCDate() !== d) return null; // 20240230 and friends
  const frac = (m[7] ?? "").padEnd(9, "0");
  return timestampNs(BigInt(ms) * 1_000_000n + BigInt(frac));
};

/** Milliseconds when that is exact, nanoseconds otherwise. */
export const formatUtcTimestamp = (ns: bigint): string => {
  const ms = ns / 1_000_000n;
  const iso = new Date(Number(ms)).toISOString(); // 2024-01-02T03:04:05.678Z
  const base = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}-${iso.slice(11, 19)}`;
  const subMs = ns % 1_000_000n;
  const nanos = (ns % 1_000_000_000n).toString().padStart(9, "0");
  return subMs === 0n ? `${base}.${nanos.slice(0, 3)}` : `${base}.${nanos}`;
};
