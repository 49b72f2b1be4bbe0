// Integrity proof: the audit trail's hash chains and digests re-verified with
// projection-service's own verification (one chain rule, ADR 072), then tied
// to the event store: every stored event must be byte-for-byte the event its
// chain record hashed, and every chained event must still be in the store.
// Prints the chain heads and their Merkle root for an auditor to compare with
// a copy held elsewhere.
import { canonicalBytes, merkleRoot, verifyAuditTrail } from "@fxcore/projection-service";
import type { EventDecoder } from "../log/decoder.ts";
import { executionStreamOf, pairInputs, pairOutputs, type StoredEvent } from "../log/event-log.ts";
import type { ReadSession } from "../log/read-session.ts";
import { ReplayFailure, type ReplayResult, replayError } from "../log/replay-error.ts";

export interface ChainHeadView {
  readonly pair: string;
  readonly chainSeq: number;
  readonly hash: string;
}

export type IntegrityProblem =
  | {
      readonly check: "AUDIT_CHAIN";
      readonly detail: string;
      readonly pair?: string;
      readonly chainSeq?: number;
      readonly digestId?: number;
    }
  | {
      readonly check: "STORE_VS_AUDIT";
      readonly problem:
        | "EVENT_DIFFERS_FROM_AUDIT"
        | "NOT_IN_AUDIT"
        | "MISSING_FROM_EVENT_STORE"
        | "UNDECODABLE";
      readonly pair: string;
      readonly eventId: string;
      readonly globalPosition: bigint | null;
      readonly chainSeq: number | null;
      readonly detail: string;
    };

export interface IntegrityReport {
  readonly pairs: readonly string[];
  readonly chainRecords: number;
  readonly digests: number;
  /** Stored events compared with their chain record. */
  readonly eventsChecked: number;
  /** Command-side events not (yet) chained: the projection may lag a live system. */
  readonly inputsNotYetAudited: number;
  readonly heads: readonly ChainHeadView[];
  /** Merkle root over the heads (projection-service's rule), hex. */
  readonly merkleRoot: string;
  readonly latestDigest: {
    readonly id: number;
    readonly takenAt: Date;
    readonly merkleRoot: string;
  } | null;
  /** The first problem found, or null: the chains verify and the store matches them. */
  readonly problem: IntegrityProblem | null;
}

export interface IntegrityOptions {
  readonly decode: EventDecoder;
  /** Pairs to check; default every pair with a chain. */
  readonly pairs?: readonly string[];
  readonly onProgress?: (checked: number) => void;
}

export async function verifyIntegrity(
  s: ReadSession,
  options: IntegrityOptions,
): Promise<ReplayResult<IntegrityReport>> {
  const [exists] = await s.query<{ present: boolean }>(
    "SELECT to_regclass('audit.records') IS NOT NULL AS present",
  );
  if (!exists?.present)
    return replayError("NOT_FOUND", "this database has no audit trail (audit.records)");
  const known = (
    await s.query<{ pair: string }>("SELECT DISTINCT pair FROM audit.records ORDER BY pair")
  ).map((r) => r.pair);
  const pairs = options.pairs ?? known;
  const unknown = pairs.filter((p) => !known.includes(p));
  if (unknown.length > 0)
    return replayError("NOT_FOUND", `no audit chain for ${unknown.join(", ")}`);

  const heads = (
    await s.query<{ pair: string; chain_seq: string; hash: Buffer }>(
      `SELECT DISTINCT ON (pair) pair, chain_seq, hash FROM audit.records
       WHERE pair = ANY($1) ORDER BY pair, chain_seq DESC`,
      [pairs],
    )
  ).map((r) => ({ pair: r.pair, chainSeq: Number(r.chain_seq), hash: r.hash }));
  const [digest] = await s.query<{ id: string; taken_at: Date; merkle_root: Buffer }>(
    "SELECT id, taken_at, merkle_root FROM audit.digests ORDER BY id DESC LIMIT 1",
  );
  const verified = await verifyAuditTrail(s.raw, { pairs });
  let problem: IntegrityProblem | null = null;
  if (!verified.ok) {
    const b = verified.broken;
    problem =
      "digestId" in b
        ? { check: "AUDIT_CHAIN", detail: `${b.problem}: ${b.detail}`, digestId: b.digestId }
        : {
            check: "AUDIT_CHAIN",
            detail: `${b.problem}: ${b.detail}`,
            pair: b.pair,
            chainSeq: b.chainSeq,
          };
  }
  let checked = 0;
  let notYet = 0;
  if (problem === null) {
    for (const pair of pairs) {
      const r = await storeVersusAudit(s, pair, options.decode, (n) =>
        options.onProgress?.(checked + n),
      );
      checked += r.checked;
      notYet += r.notYetAudited;
      if (r.problem !== null) {
        problem = r.problem;
        break;
      }
    }
  }
  return {
    ok: true,
    value: {
      pairs,
      chainRecords: verified.ok ? verified.records : 0,
      digests: verified.ok ? verified.digests : 0,
      eventsChecked: checked,
      inputsNotYetAudited: notYet,
      heads: heads.map((h) => ({
        pair: h.pair,
        chainSeq: h.chainSeq,
        hash: h.hash.toString("hex"),
      })),
      merkleRoot: merkleRoot(heads).toString("hex"),
      latestDigest:
        digest === undefined
          ? null
          : {
              id: Number(digest.id),
              takenAt: digest.taken_at,
              merkleRoot: digest.merkle_root.toString("hex"),
            },
      problem,
    },
  };
}

async function storeVersusAudit(
  s: ReadSession,
  pair: string,
  decode: EventDecoder,
  progress: (n: number) => void,
): Promise<{ checked: number; notYetAudited: number; problem: IntegrityProblem | null }> {
  let checked = 0;
  let notYet = 0;
  const check = async (
    batch: readonly StoredEvent[],
    isOutput: boolean,
  ): Promise<IntegrityProblem | null> => {
    const ids = batch.map((e) => e.eventId);
    const audit = new Map(
      (
        await s.query<{ event_id: string; chain_seq: string; canonical: Buffer }>(
          "SELECT event_id, chain_seq, canonical FROM audit.records WHERE event_id = ANY($1::text[])",
          [ids],
        )
      ).map((r) => [r.event_id, r]),
    );
    for (const stored of batch) {
      const a = audit.get(stored.eventId);
      const base = {
        check: "STORE_VS_AUDIT" as const,
        pair,
        eventId: stored.eventId,
        globalPosition: stored.globalPosition,
      };
      if (a === undefined) {
        // Outputs are chained in the sink's own transaction: one missing is a finding.
        if (isOutput)
          return {
            ...base,
            problem: "NOT_IN_AUDIT",
            chainSeq: null,
            detail: `${stored.streamId}@${stored.streamVersion} has no chain record`,
          };
        notYet++;
        continue;
      }
      let canonical: Buffer;
      try {
        const d = await decode(stored);
        canonical = canonicalBytes({ eventId: d.meta.eventId, event: d.event });
      } catch (e) {
        if (!(e instanceof ReplayFailure)) throw e;
        return {
          ...base,
          problem: "UNDECODABLE",
          chainSeq: Number(a.chain_seq),
          detail: e.error.message,
        };
      }
      if (!canonical.equals(a.canonical)) {
        return {
          ...base,
          problem: "EVENT_DIFFERS_FROM_AUDIT",
          chainSeq: Number(a.chain_seq),
          detail: `${stored.streamId}@${stored.streamVersion} no longer decodes to the event chained at ${pair}#${a.chain_seq}`,
        };
      }
      checked++;
    }
    progress(checked);
    return null;
  };
  for await (const batch of pairOutputs(s, pair)) {
    const p = await check(batch, true);
    if (p !== null) return { checked, notYetAudited: notYet, problem: p };
  }
  for await (const batch of pairInputs(s, pair)) {
    const p = await check(batch, false);
    if (p !== null) return { checked, notYetAudited: notYet, problem: p };
  }
  // The other direction: a chained event the store no longer holds.
  const [gone] = await s.query<{ event_id: string; chain_seq: string }>(
    `SELECT a.event_id, a.chain_seq FROM audit.records a
     WHERE a.pair = $1 AND NOT EXISTS (SELECT 1 FROM es_events e WHERE e.event_id::text = a.event_id)
     ORDER BY a.chain_seq LIMIT 1`,
    [pair],
  );
  if (gone !== undefined) {
    return {
      checked,
      notYetAudited: notYet,
      problem: {
        check: "STORE_VS_AUDIT",
        problem: "MISSING_FROM_EVENT_STORE",
        pair,
        eventId: gone.event_id,
        globalPosition: null,
        chainSeq: Number(gone.chain_seq),
        detail: `${pair}#${gone.chain_seq} is chained but not in the event store (${executionStreamOf(pair)} or an order stream)`,
      },
    };
  }
  return { checked, notYetAudited: notYet, problem: null };
}
