// The FX trading day ends at 17:00 New York time, Monday to Friday (the week
// opens Sunday 17:00). DAY orders expire at the next close. Computed with the
// US daylight-saving rule in force since 2007 (second Sunday of March to first
// Sunday of November) and plain integer calendar arithmetic: no Intl, no tz data.

import { type TimestampNs, timestampNs } from "../values.ts";

const NS_PER_SECOND = 1_000_000_000n;
const SECONDS_PER_DAY = 86_400;
const CLOSE_LOCAL_HOUR = 17;
const EST_OFFSET_HOURS = 5;
const EDT_OFFSET_HOURS = 4;

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
export const daysFromCivil = (year: number, month: number, day: number): number => {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = (month + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
};

/** The civil date of a day number (inverse of daysFromCivil). */
export const civilFromDays = (days: number): { year: number; month: number; day: number } => {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
};

/** 0 = Sunday … 6 = Saturday. 1970-01-01 was a Thursday. */
const weekday = (days: number): number => (((days + 4) % 7) + 7) % 7;

/** Day number of the n-th Sunday (1-based) of a month. */
const nthSunday = (year: number, month: number, n: number): number => {
  const first = daysFromCivil(year, month, 1);
  return first + ((7 - weekday(first)) % 7) + 7 * (n - 1);
};

/**
 * Whether 17:00 New York on this local date is daylight time. DST starts at
 * 02:00 on the second Sunday of March and ends at 02:00 on the first Sunday of
 * November, so at 17:00 both change days already run on the new offset.
 */
export const isNewYorkDaylightAtClose = (localDay: number): boolean => {
  const { year } = civilFromDays(localDay);
  return localDay >= nthSunday(year, 3, 2) && localDay < nthSunday(year, 11, 1);
};

/** The 17:00 New York instant of a local date, in UTC seconds. */
const closeSecondsOf = (localDay: number): number => {
  const offset = isNewYorkDaylightAtClose(localDay) ? EDT_OFFSET_HOURS : EST_OFFSET_HOURS;
  return localDay * SECONDS_PER_DAY + (CLOSE_LOCAL_HOUR + offset) * 3600;
};

/**
 * The first session close (17:00 New York, Monday–Friday) strictly after `t`.
 * An order stamped exactly at a close belongs to the next session. Holidays are
 * not modelled: no holiday calendar in the reference data yet.
 */
export const nextSessionClose = (t: TimestampNs): TimestampNs => {
  // Closes fall on whole seconds, so close > t exactly when close > floor(t).
  let seconds = t / NS_PER_SECOND;
  if (t < 0n && t % NS_PER_SECOND !== 0n) seconds -= 1n;
  const s = Number(seconds);
  const utcDay = Math.floor(s / SECONDS_PER_DAY);
  // The New York date is the UTC date or the one before; a weekend spans at most 3 days.
  for (let day = utcDay - 1; day <= utcDay + 5; day++) {
    const wd = weekday(day);
    if (wd === 0 || wd === 6) continue;
    const close = closeSecondsOf(day);
    if (close > s) {
      return timestampNs(BigInt(close) * NS_PER_SECOND);
    }
  }
  // Unreachable: among 7 consecutive days there are five weekdays.
  throw new Error("nextSessionClose: no weekday found");
};
