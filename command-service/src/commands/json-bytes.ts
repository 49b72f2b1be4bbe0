// A reply body written as UTF-8 into one growing buffer: its pieces (a
// report's JSON text, ids, small literals) are copied in once, with no string
// per answer, no join and no encode of the whole afterwards (ADR 101).

/** Printable ASCII without quote or backslash: JSON quotes it as it is. */
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

export class JsonBytes {
  #buf: Buffer;
  #len = 0;
  constructor(size = 4096) {
    this.#buf = Buffer.allocUnsafe(size);
  }
  /** Appends JSON text as it is. */
  text(s: string): this {
    // At most 3 bytes per UTF-16 unit.
    if (this.#buf.length - this.#len < s.length * 3) this.#grow(s.length * 3);
    this.#len += this.#buf.write(s, this.#len);
    return this;
  }
  /** Appends a string as a JSON string, or null. */
  str(s: string | null): this {
    if (s === null) return this.text("null");
    if (!PLAIN.test(s)) return this.text(JSON.stringify(s));
    if (this.#buf.length - this.#len < s.length + 2) this.#grow(s.length + 2);
    const b = this.#buf;
    b[this.#len++] = 0x22;
    this.#len += b.write(s, this.#len, "latin1");
    b[this.#len++] = 0x22;
    return this;
  }
  /** The bytes written so far (a view: write no more while it is in use). */
  bytes(): Buffer {
    return this.#buf.subarray(0, this.#len);
  }
  #grow(need: number): void {
    const b = Buffer.allocUnsafe(Math.max(this.#buf.length * 2, this.#len + need));
    this.#buf.copy(b, 0, 0, this.#len);
    this.#buf = b;
  }
}
