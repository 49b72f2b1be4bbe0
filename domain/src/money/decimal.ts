// Exact decimal strings <-> scaled integers, by string and BigInt arithmetic
// only: a client's "1.10001" must become exactly 110001 ticks, never
// 110000.99999999999 (DESIGN rule 1).

import { err, ok, type Result } from "../values.ts";

export type DecimalErrorReason =
  | "MALFORMED"
  | "NOT_POSITIVE"
  | "TOO_MANY_DECIMALS"
  | "BEYOND_SAFE_INTEGER";

export interface DecimalError {
  readonly reason: DecimalErrorReason;
  readonly input: string;
  readonly text: string;
}

// Plain decimal notation only: no exponent, no sign other than a leading "-"
// (recognised to give NOT_POSITIVE rather than MALFORMED), no spaces, no ".5".
const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?$/;
// Longer inputs are rejected before any BigInt work: a 2^53 quantity has 16 digits.
const MAX_INPUT_LENGTH = 64;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

const fail = (
  reason: DecimalErrorReason,
  input: string,
  text: string,
): Result<never, DecimalError> => err({ reason, input, text });

/**
 * Parses a strictly positive decimal into an integer count of 10^-scale units.
 * Trailing zeros beyond the scale are insignificant ("1.100000" at scale 5 is
 * 110000); a non-zero digit beyond it is TOO_MANY_DECIMALS.
 */
export const parseScaled = (input: string, scale: number): Result<number, DecimalError> => {
  if (typeof input !== "string" || input.length === 0 || input.length > MAX_INPUT_LENGTH) {
    return fail("MALFORMED", String(input), "is not a decimal number");
  }
  const m = DECIMAL.exec(input);
  if (!m) return fail("MALFORMED", input, `${JSON.stringify(input)} is not a plain decimal number`);
  const negative = m[1] === "-";
  const whole = m[2] ?? "";
  const fraction = (m[3] ?? "").replace(/0+$/, "");
  const isZero = /^0*$/.test(whole) && fraction.length === 0;
  if (negative || isZero) {
    return fail("NOT_POSITIVE", input, `${input} is not greater than zero`);
  }
  if (fraction.length > scale) {
    return fail("TOO_MANY_DECIMALS", input, `${input} has more than ${scale} decimals`);
  }
  const digits = (whole + fraction.padEnd(scale, "0")).replace(/^0+/, "");
  if (BigInt(digits) > MAX_SAFE) {
    return fail("BEYOND_SAFE_INTEGER", input, `${input} is too large`);
  }
  // An integer digit string within 2^53 converts to Number exactly.
  return ok(Number(digits));
};

/** Formats n units of 10^-scale as a decimal with exactly `scale` decimals: (110000, 5) → "1.10000". */
export const formatScaled = (n: number | bigint, scale: number): string => {
  if (typeof n === "number" && !Number.isSafeInteger(n)) {
    throw new RangeError(`formatScaled: not a safe integer: ${n}`);
  }
  const big = BigInt(n);
  const sign = big < 0n ? "-" : "";
  const digits = (big < 0n ? -big : big).toString();
  if (scale === 0) return sign + digits;
  const padded = digits.padStart(scale + 1, "0");
  return `${sign}${padded.slice(0, -scale)}.${padded.slice(-scale)}`;
};

/**
 * num/den as a decimal string. Exact when the quotient terminates within
 * `maxDecimals` decimals (trailing zeros trimmed down to `minDecimals`);
 * otherwise rounded half-to-even at `maxDecimals`.
 */
export const formatRatio = (
  num: bigint,
  den: bigint,
  minDecimals: number,
  maxDecimals: number,
): { readonly text: string; readonly exact: boolean } => {
  if (den <= 0n) throw new RangeError("formatRatio: denominator must be positive");
  const negative = num < 0n;
  const abs = negative ? -num : num;
  const pow = 10n ** BigInt(maxDecimals);
  const scaled = abs * pow;
  let q = scaled / den;
  const r = scaled % den;
  const exact = r === 0n;
  if (!exact && (2n * r > den || (2n * r === den && q % 2n === 1n))) q += 1n;
  let text = formatScaled(q, maxDecimals);
  if (maxDecimals > minDecimals) {
    const [w, f = ""] = text.split(".");
    let frac = f;
    while (frac.length > minDecimals && frac.endsWith("0")) frac = frac.slice(0, -1);
    text = frac.length > 0 ? `${w}.${frac}` : (w ?? "0");
  }
  return { text: negative && q !== 0n ? `-${text}` : text, exact };
};
