// The audit trail's pure core: canonical event bytes, the per-pair hash chain
// record = SHA-256(prev_hash || canonical bytes), the Merkle root over chain
// heads, and verification that reports the first broken link.
import { createHash } from "node:crypto";

export const GENESIS_HASH: Buffer = Buffer.alloc(32);

/** Canonical JSON: keys sorted, bigints as decimal strings, no whitespace; UTF-8. */
export const canonicalBytes = (value: unknown): Buffer => Buffer.from(canonicalJson(value), "utf8");

const canonicalJson = (v: unknown): string => {
  if (v === null || v === undefined) return "null";
  if (typeof v === "bigint") return JSON.stringify(v.toString());
  if (typeof v === "number" || typeof v === "boolean" || typeof v === "string")
    return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(",")}]`;
  if (typeof v === "object") {
    const entries = Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonicalJson(x)}`).join(",")}}`;
  }
  throw new Error(`not canonicalisable: ${typeof v}`);
};

export const chainHash = (prev: Buffer, canonical: Buffer): Buffer =>
  createHash("sha256").update(prev).update(canonical).digest();

export interface AuditRecord {
  readonly pair: string;
  readonly chainSeq: number;
  readonly eventId: string;
  readonly eventType: string;
  readonly canonical: Buffer;
  readonly prevHash: Buffer;
  readonly hash: Buffer;
}

export interface ChainHead {
  readonly pair: string;
  readonly chainSeq: number;
  readonly hash: Buffer;
}

/** Appends events to a pair's chain, starting from its head (undefined: empty chain). */
export const extendChain = (
  head: ChainHead | undefined,
  pair: string,
  events: readonly { eventId: string; eventType: string; canonical: Buffer }[],
): AuditRecord[] => {
  let prev = head?.hash ?? GENESIS_HASH;
  let seq = head?.chainSeq ?? 0;
  return events.map((e) => {
    seq += 1;
    const hash = chainHash(prev, e.canonical);
    const r = { pair, chainSeq: seq, ...e, prevHash: prev, hash };
    prev = hash;
    return r;
  });
};

/** Merkle root over chain heads, ordered by pair; leaf = SHA-256(pair || seq || head hash). */
export const merkleRoot = (heads: readonly ChainHead[]): Buffer => {
  const sorted = [...heads].sort((a, b) => (a.pair < b.pair ? -1 : a.pair > b.pair ? 1 : 0));
  let level: Buffer[] = sorted.map((h) =>
    createHash("sha256").update(`${h.pair}\n${h.chainSeq}\n`).update(h.hash).digest(),
  );
  if (level.length === 0) return createHash("sha256").digest();
  while (level.length > 1) {
    const next: Buffer[] = [];
    for (let i = 0; i < level.length; i += 2) {
      const l = level[i] as Buffer;
      const r = level[i + 1] ?? l;
      next.push(createHash("sha256").update(l).update(r).digest());
    }
    level = next;
  }
  return level[0] as Buffer;
};

export type BrokenLink = {
  readonly pair: string;
  readonly chainSeq: number;
  readonly problem: "SEQUENCE_GAP" | "PREV_HASH_MISMATCH" | "HASH_MISMATCH";
  readonly detail: string;
};

/**
 * Walks one pair's records in chain order from `from` (the last verified
 * head, or the genesis) and returns the new head, or the first broken link.
 */
export const verifySegment = (
  from: ChainHead | undefined,
  pair: string,
  records: readonly AuditRecord[],
): { ok: true; head: ChainHead | undefined } | { ok: false; broken: BrokenLink } => {
  let prev = from?.hash ?? GENESIS_HASH;
  let seq = from?.chainSeq ?? 0;
  let head = from;
  for (const r of records) {
    if (r.chainSeq !== seq + 1) {
      return {
        ok: false,
        broken: {
          pair,
          chainSeq: r.chainSeq,
          problem: "SEQUENCE_GAP",
          detail: `expected chain_seq ${seq + 1}`,
        },
      };
    }
    if (!r.prevHash.equals(prev)) {
      return {
        ok: false,
        broken: {
          pair,
          chainSeq: r.chainSeq,
          problem: "PREV_HASH_MISMATCH",
          detail: `prev_hash ${r.prevHash.toString("hex")} != ${prev.toString("hex")}`,
        },
      };
    }
    const h = chainHash(prev, r.canonical);
    if (!h.equals(r.hash)) {
      return {
        ok: false,
        broken: {
          pair,
          chainSeq: r.chainSeq,
          problem: "HASH_MISMATCH",
          detail: `recomputed ${h.toString("hex")} != stored ${r.hash.toString("hex")}`,
        },
      };
    }
    prev = h;
    seq = r.chainSeq;
    head = { pair, chainSeq: seq, hash: h };
  }
  return { ok: true, head };
};
