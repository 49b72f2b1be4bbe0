// What PartitionMatcher.apply does for a standby pair (state only, no
// envelopes), fed straight from decoded payloads (ADR 087): the same
// skip/poison/validation rules, the same dedupe window of input event ids
// (InputGate), then the same deterministic engine (MatchingEngine.applyInto).
// The event id is looked up by its UTF-8 bytes where the caller has them (no
// string per input). test/standby-applier.test.ts runs this and
// PartitionMatcher over the same inputs (duplicates, poison, foreign symbols)
// and compares every outcome and state hash: a change of the live rules fails it.
import {
  createMatchingEngine,
  type InstrumentCatalog,
  type MatcherInput,
  type MatchingEngine,
  type Symbol,
} from "@fxcore/domain";
import { COMMAND_SIDE_OUTCOMES, DEDUPE_WINDOW, MATCHER_INPUT_TYPES } from "@fxcore/matcher";
import { DISCARD_OUTPUTS } from "./discard-outputs.ts";
import { IdWindow, InputGate, type InputRules, type StandbyOutcome } from "./input-gate.ts";

// The live matcher's own rules: which payloads it takes, which it skips, how
// far back it drops duplicates (one definition, imported).
export { DEDUPE_WINDOW, IdWindow, type StandbyOutcome };
export const STANDBY_RULES: InputRules = {
  inputTypes: MATCHER_INPUT_TYPES,
  commandSideOutcomes: COMMAND_SIDE_OUTCOMES,
  dedupeWindow: DEDUPE_WINDOW,
};

export class StandbyApplier {
  readonly #catalog: InstrumentCatalog;
  readonly #engines = new Map<string, MatchingEngine>();
  readonly #gate: InputGate;

  constructor(catalog: InstrumentCatalog) {
    this.#catalog = catalog;
    this.#gate = new InputGate(STANDBY_RULES, (s) => catalog.has(s as Symbol));
  }

  engine(symbol: string): MatchingEngine | undefined {
    return this.#engines.get(symbol);
  }

  /** A decoded payload and its event id as a string (the serde's path). */
  apply(payload: { readonly type: string }, eventId: string): StandbyOutcome {
    const id = Buffer.from(eventId, "utf8");
    return this.applyWithId(payload, id, 0, id.length);
  }

  /** A payload whose event id is `idBuf[idStart, idEnd)` (UTF-8, as stored). */
  applyWithId(
    payload: { readonly type: string },
    idBuf: Buffer,
    idStart: number,
    idEnd: number,
  ): StandbyOutcome {
    const gate = this.#gate.admit(payload, idBuf, idStart, idEnd);
    if (gate !== "apply") return gate;
    const cmd = payload as MatcherInput;
    // The engine's events are not needed, only its state.
    this.engineFor(cmd.symbol)!.applyInto(cmd, DISCARD_OUTPUTS);
    return "applied";
  }

  /** The engine of a known symbol, created empty on first use; undefined for a symbol the catalog lacks. */
  engineFor(symbol: string): MatchingEngine | undefined {
    let engine = this.#engines.get(symbol);
    if (engine === undefined) {
      const instrument = this.#catalog.get(symbol as Symbol);
      if (instrument === undefined) return undefined;
      engine = createMatchingEngine(instrument);
      this.#engines.set(symbol, engine);
    }
    return engine;
  }
}
