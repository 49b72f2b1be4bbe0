// A rebuild needs the engine's state, not the events it emits (ADR 096): this
// sink drops them. One object for every rebuild in the process, so each push
// in the engine sees one receiver; the optimiser then inlines the empty push
// and no longer builds the events at all (their objects and ExecId strings).
import type { MatcherOutput, MatcherOutputSink } from "@fxcore/domain";

export const DISCARD_OUTPUTS: MatcherOutputSink = {
  push(_event: MatcherOutput): number {
    return 0;
  },
  // The engine then skips what only shapes an event (a rejected cancel's "too late or unknown" lookup).
  discards: true,
};
