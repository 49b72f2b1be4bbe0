// The decoded form both wire encodings share: fields in wire order. BodyLength
// (9) and CheckSum (10) are never stored: they are derived from the bytes,
// verified on decode and recomputed on encode, so both encodings round-trip.

export interface FixField {
  readonly tag: number;
  readonly value: string;
}

export interface FixMessage {
  readonly fields: readonly FixField[];
}

export const fixMessage = (fields: readonly FixField[]): FixMessage => ({ fields });

/** First value of a tag (validated messages have at most one). */
export const getField = (msg: FixMessage, tag: number): string | undefined => {
  const fs = msg.fields;
  for (let i = 0; i < fs.length; i++) if (fs[i]!.tag === tag) return fs[i]!.value;
  return undefined;
};

export const msgTypeOf = (msg: FixMessage): string | undefined => getField(msg, 35);

/** Builds a message from [tag, value] pairs, skipping undefined/null values. */
export const build = (
  pairs: ReadonlyArray<readonly [number, string | number | bigint | null | undefined]>,
): FixMessage => {
  const fields: FixField[] = [];
  for (const [tag, value] of pairs)
    if (value !== undefined && value !== null)
      fields.push({ tag, value: typeof value === "string" ? value : String(value) });
  return fixMessage(fields);
};
