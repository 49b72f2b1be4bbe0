// Decimal text of integers that are new on every order (a log position, a
// timestamp's nanoseconds, a ClOrdID's counter) without String(n). V8 keeps
// String(n)'s result in its number-to-string cache, and an entry there
// outlives two scavenges at 10,000 orders/s: each such text was promoted to
// old space, ~0.3 MB/s of garbage in the gateway that only a major GC frees
// (BENCHMARKS.md, Gateway, session 13). Concatenated digit pairs are ordinary
// young strings.

/** "00".."99". */
const PAIRS: readonly string[] = Array.from({ length: 100 }, (_, i) => (i < 10 ? `0${i}` : `${i}`));

/** `String(n)` for a non-negative safe integer, not cached by V8. */
export const decimalDigits = (n: number): string => {
  if (n < 10) return (PAIRS[n] as string)[1] as string;
  let s = "";
  while (n >= 100) {
    const q = Math.floor(n / 100);
    s = (PAIRS[n - q * 100] as string) + s;
    n = q;
  }
  return (n < 10 ? ((PAIRS[n] as string)[1] as string) : (PAIRS[n] as string)) + s;
};
