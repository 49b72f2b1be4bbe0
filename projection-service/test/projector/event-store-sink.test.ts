import { describe, expect, it } from "vitest";
import {
  planSink,
  type SinkCandidate,
  type SinkPlan,
} from "../../src/projector/event-store-sink.ts";

const out = (symbol: string, seq: number): SinkCandidate => ({
  symbol,
  seq,
  eventId: `00000000-0000-5000-8000-${String(seq).padStart(12, "0")}`,
  type: "TradeExecuted",
  schemaId: 7,
  schemaVersion: 2,
  payload: Buffer.from([0, 1, 0xff]),
});
const revisions = (plan: SinkPlan) => plan.rows.map((r) => `${r.stream}@${r.revision}`);

describe("event-store sink plan", () => {
  it("given outputs out of order across pairs, then each pair's next revisions are appended in seq order as COPY rows", () => {
    const plan = planSink(
      [out("USDJPY", 1), out("EURUSD", 4), out("EURUSD", 3), out("USDJPY", 2)],
      new Map([
        ["EURUSD", 1],
        ["USDJPY", -1],
      ]),
    );
    expect(revisions(plan)).toEqual([
      "executions-EURUSD@2",
      "executions-EURUSD@3",
      "executions-USDJPY@0",
      "executions-USDJPY@1",
    ]);
    expect(plan.rows.map((r) => r.candidate.seq)).toEqual([3, 4, 1, 2]);
    expect(plan.heads).toEqual(
      new Map([
        ["EURUSD", 3],
        ["USDJPY", 1],
      ]),
    );
    expect(plan.problems).toEqual([]);
  });

  it("given outputs the stream already holds, then they are skipped and the rest appended", () => {
    const plan = planSink(
      [out("EURUSD", 1), out("EURUSD", 2), out("EURUSD", 3)],
      new Map([["EURUSD", 1]]),
    );
    expect(revisions(plan)).toEqual(["executions-EURUSD@2"]);
    expect(plan.heads.get("EURUSD")).toBe(2);
  });

  it("given a hole before the outputs, then nothing after it is appended and each run behind it is reported once", () => {
    const plan = planSink(
      [out("EURUSD", 5), out("EURUSD", 6), out("EURUSD", 9), out("USDJPY", 1)],
      new Map([
        ["EURUSD", 2],
        ["USDJPY", -1],
      ]),
    );
    expect(revisions(plan)).toEqual(["executions-USDJPY@0"]);
    expect(plan.heads.get("EURUSD")).toBe(2);
    expect(plan.problems.map((p) => p.problem)).toEqual([
      "event-store gap in executions-EURUSD: at revision 2, batch starts at 4",
      "event-store gap in executions-EURUSD: at revision 2, batch starts at 8",
    ]);
  });

  it("given a pair whose head was not loaded, then planning refuses", () => {
    expect(() => planSink([out("GBPUSD", 1)], new Map())).toThrow(/no event-store head/);
  });
});
