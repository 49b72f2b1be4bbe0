// Short ASCII strings are built by String.fromCharCode with one argument per
// byte: ~5x cheaper than a slice call. One source for the compiled readers'
// runtime (avro-compiler) and the tape reader (book/input-tape), so that the
// thread reading a tape loads no compiler.

export const ASCII_MAX = 24;

/** The source of `function ascii(b, p, n)`: the n (≤ ASCII_MAX) bytes of b from p as a string. */
export function asciiFunction(): string {
  const cases = [`case 0: return "";`];
  for (let n = 1; n <= ASCII_MAX; n++) {
    const args = Array.from({ length: n }, (_, i) => `b[p + ${i}]`).join(", ");
    cases.push(`case ${n}: return String.fromCharCode(${args});`);
  }
  return `function ascii(b, p, n) { switch (n) { ${cases.join(" ")} } }`;
}

/** That function, compiled. */
export const ascii = new Function(`${asciiFunction()}\nreturn ascii;`)() as (
  b: Uint8Array,
  p: number,
  n: number,
) => string;
