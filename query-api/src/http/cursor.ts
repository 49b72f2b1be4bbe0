// Opaque pagination cursors: base64url JSON of the last row's sort key.
export const encodeCursor = (key: readonly (string | number)[]): string =>
  Buffer.from(JSON.stringify(key)).toString("base64url");

export const decodeCursor = (
  cursor: string | undefined,
  shape: readonly ("string" | "number")[],
): { ok: true; key: (string | number)[] | null } | { ok: false } => {
  if (cursor === undefined) return { ok: true, key: null };
  try {
    const v: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (!Array.isArray(v) || v.length !== shape.length) return { ok: false };
    if (
      !v.every(
        (x, i) => typeof x === shape[i] && (typeof x !== "number" || Number.isSafeInteger(x)),
      )
    )
      return { ok: false };
    return { ok: true, key: v as (string | number)[] };
  } catch {
    return { ok: false };
  }
};
