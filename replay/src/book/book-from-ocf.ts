// The book of a pair rebuilt from an Avro OCF export instead of the database:
// an auditor holding an export can replay it without access to the system.
// Same engine path as bookAt (PartitionMatcher in standby), same prefix rule.
import type { Readable } from "node:stream";
import type { DomainEvent, InstrumentCatalog } from "@fxcore/domain";
import { PartitionMatcher } from "@fxcore/matcher";
import type { EnvelopeMeta } from "@fxcore/schemas";
import { readOcf, replayReaderType } from "../export/avro-ocf.ts";
import type { AsOf } from "./book-at.ts";

const INPUT_RECORDS = new Map([
  ["fx.events.OrderAccepted", "OrderAccepted"],
  ["fx.events.OrderCancelRequested", "OrderCancelRequested"],
  ["fx.events.OrderReplaceRequested", "OrderReplaceRequested"],
  ["fx.events.TimeAdvanced", "TimeAdvanced"],
]);

export interface OcfReplay {
  readonly records: number;
  readonly inputsApplied: number;
  readonly lastSeq: number;
  readonly stateHash: string;
}

/** Applies the pair's inputs found in an export (in file order = log order) up to `asOf`. */
export async function bookFromOcf(
  input: Readable,
  pair: string,
  asOf: AsOf,
  catalog: InstrumentCatalog,
): Promise<OcfReplay> {
  const matcher = new PartitionMatcher({ catalog, writerEpoch: 0, homePairs: new Set() });
  let records = 0;
  let applied = 0;
  const engine = () => matcher.books().find((b) => b.symbol === pair)?.engine;
  outer: for await (const block of readOcf(input, replayReaderType)) {
    for (const r of block as { event: Record<string, Record<string, unknown>> }[]) {
      records++;
      const union = r.event;
      // A wrapped union value: one own key, the record's full name.
      const name = Object.keys(union)[0];
      const type = name === undefined ? undefined : INPUT_RECORDS.get(name);
      if (type === undefined) continue;
      const inner = union[name!]!;
      if (inner.symbol !== pair) continue;
      const payload = { ...inner, type } as unknown as DomainEvent & { transactTime: bigint };
      if (asOf.kind === "time" && payload.transactTime > asOf.ns) break outer;
      matcher.apply({ meta: inner.meta as unknown as EnvelopeMeta, payload });
      applied++;
      if (asOf.kind === "seq" && (engine()?.seq ?? 0) >= asOf.seq) break outer;
    }
  }
  const e = engine();
  return { records, inputsApplied: applied, lastSeq: e?.seq ?? 0, stateHash: e?.stateHash() ?? "" };
}
