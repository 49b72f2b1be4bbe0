// Diagnostic: CPU per event of prepareBatch alone (in-memory projection, audit
// canonical bytes + SHA-256, statement encoding) over the bench's scripted
// session, with a database stub that holds nothing (every row is new). No
// Kafka, no Postgres: a deterministic signal for the process side.
// Env BENCH_CATCHUP_ORDERS (20000), ROUNDS (5).
import { type InFlight, prepareBatch } from "../src/projector/project-batch.ts";
import type { Queryable } from "../src/projector/pg-read-models.ts";
import { pairLookup } from "../src/reference-pairs.ts";
import { scriptedSession } from "../test/session.ts";

const N = Number(process.env.BENCH_CATCHUP_ORDERS ?? 20_000);
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const payload = Buffer.alloc(180, 1);
const events = scriptedSession(N, 32, 1).map((envelope) => ({
  envelope,
  raw: { value: payload, schemaId: 1, schemaVersion: 1 },
}));
const empty = {
  // One answer per statement of a message (ADR 110). The sink's head query
  // answers one row per pair (no stream yet); the rest find nothing.
  query: async (text: string) => {
    const answer = (sql: string) => ({
      rows: sql.includes("es_events")
        ? ["EURUSD", "USDJPY"].map((symbol) => ({ symbol, v: null }))
        : [],
    });
    const statements = text.split(";\n");
    return statements.length === 1 ? answer(text) : statements.map(answer);
  },
} as unknown as Queryable;
const opts = {
  schema: "rm_v1",
  pairs: pairLookup(),
  audit: true,
  eventStore: {} as never,
};
for (let round = 0; round < ROUNDS; round++) {
  let inFlight: InFlight | undefined;
  const cpu0 = process.cpuUsage();
  const main0 = process.threadCpuUsage();
  for (let i = 0; i < events.length; i += 4_700) {
    const p = await prepareBatch(
      empty,
      opts,
      { source: null, events: events.slice(i, i + 4_700) },
      inFlight,
    );
    inFlight = p.inFlight;
  }
  const c = process.cpuUsage(cpu0);
  const t = process.threadCpuUsage(main0);
  console.log(
    `round ${round}: ${((c.user + c.system) / events.length).toFixed(1)} µs CPU per event, main thread ${((t.user + t.system) / events.length).toFixed(1)} (${events.length} events)`,
  );
}
