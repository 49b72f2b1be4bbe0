// Exact prices that are not whole ticks (average prices) travel as a ratio of
// integers; rendering one as a decimal string is the only place we round.

/** num/den ticks rendered as a decimal price with `priceScale` + `extraDigits` decimals, half-even. */
export const formatTicksRatio = (
  num: bigint,
  den: bigint,
  priceScale: number,
  extraDigits = 4,
): string => {
  if (den === 0n) return "0";
  const digits = priceScale + extraDigits;
  const neg = num < 0n !== den < 0n && num !== 0n;
  const n = num < 0n ? -num : num;
  const d = den < 0n ? -den : den;
  // value in units of 10^-digits = n / d * 10^extraDigits (ticks are 10^-priceScale)
  const scaled = n * 10n ** BigInt(extraDigits);
  let q = scaled / d;
  const r = scaled % d;
  if (r * 2n > d || (r * 2n === d && q % 2n === 1n)) q += 1n;
  const s = q.toString().padStart(digits + 1, "0");
  const int = s.slice(0, s.length - digits);
  const frac = digits > 0 ? `.${s.slice(s.length - digits)}` : "";
  return `${neg ? "-" : ""}${int}${frac}`;
};

/** Integer ticks rendered as a decimal price: 110000 at scale 5 → "1.10000". */
export const formatTicks = (ticks: bigint | number, priceScale: number): string =>
  formatTicksRatio(BigInt(ticks), 1n, priceScale, 0);
