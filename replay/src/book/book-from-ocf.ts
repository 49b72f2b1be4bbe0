// The book of a pair rebuilt from an Avro OCF export instead of the database:
// an auditor holding an export can replay it without access to the system.
// Same engine path as bookAt (the standby rules of PartitionMatcher, ADR 087),
// same prefix rule.
// Records are read by a reader compiled from the file's own schema (ADR 086):
// the export's columns and every event that is not a matcher input are
// skipped without being decoded; inputs are resolved into the current schemas.
// Given a file path, the reading, decoding and gate run on a second thread
// and hand the engine's thread compact tapes of inputs (ADR 089).
import { createReadStream } from "node:fs";
import type { Readable } from "node:stream";
import { Worker } from "node:worker_threads";
import {
  createMatchingEngine,
  type DomainEvent,
  type InstrumentCatalog,
  type MatcherInput,
  type MatchingEngine,
  type Symbol,
} from "@fxcore/domain";
import { type Envelope, type EnvelopeMeta, loadCatalog, type SchemaCatalog } from "@fxcore/schemas";
import {
  compileSelectiveReader,
  type SelectiveReader,
  type TapeReaderSource,
  tapeReaderSource,
} from "../codec/avro-compiler.ts";
import { schemaTree, UnsupportedSchema } from "../codec/avro-schema.ts";
import { type OcfCodec, openOcf, replayReaderType } from "../export/avro-ocf.ts";
import { openOcfFile } from "../export/ocf-container.ts";
import { MATCHER_INPUT_TYPES } from "../log/input-copy.ts";
import type { AsOf } from "./book-at.ts";
import { DISCARD_OUTPUTS } from "./discard-outputs.ts";
import {
  applyTape,
  controlBytes,
  freeWakeSlot,
  wakeSlot,
  K_POISON,
  KIND_OF_RECORD,
  newTapeBuffers,
  TAPE_CONTROL,
  TAPE_END,
  TAPE_FREE,
  TAPE_STOP,
  TAPE_STOPPED,
  type TapeEnums,
  type TapeProgress,
  TapeReader,
  tapeEnums,
  tapeLayout,
} from "./input-tape.ts";
import type { DecodeJob, DecodeWorkerMessage } from "./ocf-decode-worker.ts";
import { STANDBY_RULES, StandbyApplier } from "./standby-applier.ts";

const INPUT_RECORDS = new Map<string, string>(
  MATCHER_INPUT_TYPES.map((t) => [`fx.events.${t}`, t]),
);

export interface OcfReplay {
  readonly records: number;
  readonly inputsApplied: number;
  readonly lastSeq: number;
  readonly stateHash: string;
  readonly codec: OcfCodec;
  /** "compiled": the file's schema compiled into a selective reader; "avsc": the generic reader. */
  readonly reader: "compiled" | "avsc";
  /** "worker": decoded on a second thread (a file path and a tape-shaped schema); "inline": in this thread. */
  readonly threads: "worker" | "inline";
  /** CPU time of the decode worker's thread, µs (read to the end only). */
  readonly workerCpuMicros?: number;
  /** True when this rebuild started the decode worker; false when it used the one kept from an earlier rebuild (ADR 096). */
  readonly workerStarted?: boolean;
}

let defaultSchemas: SchemaCatalog | undefined;
const defaultSchemaCatalog = (): SchemaCatalog => {
  defaultSchemas ??= loadCatalog();
  return defaultSchemas;
};

/**
 * Applies the pair's inputs found in an export (in file order = log order) up
 * to `asOf`. A file path is read on a second thread (ADR 089); a stream, or a
 * file the tape cannot carry, in this one. Same result either way.
 */
export async function bookFromOcf(
  input: Readable | string,
  pair: string,
  asOf: AsOf,
  catalog: InstrumentCatalog,
  schemas: SchemaCatalog = defaultSchemaCatalog(),
): Promise<OcfReplay> {
  if (typeof input === "string") {
    const enums = tapeEnums(currentInputReaders(schemas));
    const r =
      enums === undefined ? undefined : await viaWorker(input, pair, asOf, catalog, schemas, enums);
    return (
      r ?? inline(createReadStream(input, { highWaterMark: 1 << 20 }), pair, asOf, catalog, schemas)
    );
  }
  return inline(input, pair, asOf, catalog, schemas);
}

const currentInputReaders = (schemas: SchemaCatalog) =>
  new Map(
    [...INPUT_RECORDS.values()].flatMap((t) => {
      const c = schemas.current(t);
      return c === undefined ? [] : [[t, schemaTree(c.schema)] as const];
    }),
  );

// Tape readers by file schema and pair, per schema catalog: a file read again is not compiled again.
const tapeSources = new WeakMap<SchemaCatalog, Map<string, TapeReaderSource | null>>();

/** The tape reader of a file schema; null when the compiler does not model it. */
function tapeSource(
  fileSchema: unknown,
  pair: string,
  schemas: SchemaCatalog,
  enums: TapeEnums,
): TapeReaderSource | null {
  let cache = tapeSources.get(schemas);
  if (cache === undefined) {
    cache = new Map();
    tapeSources.set(schemas, cache);
  }
  const key = `${pair}\0${JSON.stringify(enums)}\0${JSON.stringify(fileSchema)}`;
  let source = cache.get(key);
  if (source !== undefined) return source;
  const readers = currentInputReaders(schemas);
  try {
    source = tapeReaderSource(
      schemaTree(fileSchema),
      "event",
      (name) => readers.get(name.slice(name.lastIndexOf(".") + 1)),
      KIND_OF_RECORD,
      tapeLayout(enums),
      pair,
    );
  } catch (e) {
    if (!(e instanceof UnsupportedSchema)) throw e;
    source = null;
  }
  if (cache.size >= 16) cache.clear();
  cache.set(key, source);
  return source;
}

// Six tapes in flight; a waiting engine's thread is woken when four are full
// (ADR 106): one wake-up of its event loop per four tapes, not one per tape,
// and the writer keeps two tapes of slack while the engine's thread catches up.
const TAPES_IN_FLIGHT = 6;
const WAKE_AFTER = 4;
/** Entries on the first tape (each next one holds twice as many): the engine's thread starts after ~1,000 inputs, not a full tape. */
const FIRST_TAPE_ENTRIES = 1024;

// One idle decode worker is kept between rebuilds (ADR 096): a rebuild does not
// pay a thread start and module loads, and its decode code is already optimised.
// Unreferenced while idle (it never holds the process open) and ended after a pause.
let idleWorker: Worker | undefined;
let idleTimer: NodeJS.Timeout | undefined;
const IDLE_MS = 30_000;

function takeWorker(): { worker: Worker; started: boolean } {
  const w = idleWorker;
  idleWorker = undefined;
  clearTimeout(idleTimer);
  if (w !== undefined) {
    w.ref();
    return { worker: w, started: false };
  }
  return { worker: new Worker(new URL("./ocf-decode-worker.ts", import.meta.url)), started: true };
}

function releaseWorker(w: Worker): void {
  if (idleWorker !== undefined) {
    void w.terminate();
    return;
  }
  w.unref();
  idleWorker = w;
  idleTimer = setTimeout(() => {
    if (idleWorker === w) idleWorker = undefined;
    void w.terminate();
  }, IDLE_MS);
  idleTimer.unref();
}

/** The worker pipeline; undefined when the file's schema is not one the compiled tape reader models. */
async function viaWorker(
  path: string,
  pair: string,
  asOf: AsOf,
  catalog: InstrumentCatalog,
  schemas: SchemaCatalog,
  enums: TapeEnums,
): Promise<OcfReplay | undefined> {
  // The header is read here too: the reader is compiled on this thread (while a new worker starts).
  const header = openOcfFile(path);
  header.close();
  const tapes = Array.from({ length: TAPES_IN_FLIGHT }, () => newTapeBuffers());
  const controlBuffer = new SharedArrayBuffer(controlBytes(TAPES_IN_FLIGHT));
  const control = new Int32Array(controlBuffer);
  const wakeAt = wakeSlot(TAPES_IN_FLIGHT);
  const freeWake = freeWakeSlot(TAPES_IN_FLIGHT);
  const { worker, started } = takeWorker();
  const grown = new Array<number>(TAPES_IN_FLIGHT).fill(0);
  let failure: Error | undefined;
  let exited = false;
  let ended = false;
  // Wakes a wait below on any message or the worker's end (tapes themselves are signalled in `control`).
  let wake: (() => void) | undefined;
  let wakeUp = new Promise<void>((resolve) => {
    wake = resolve;
  });
  const notify = () => {
    wake?.();
    wakeUp = new Promise<void>((resolve) => {
      wake = resolve;
    });
  };
  const onMessage = (m: DecodeWorkerMessage) => {
    if (m.kind === "grown") {
      tapes[m.tape] = m.buffers;
      grown[m.tape]!++;
    } else {
      ended = true;
      if (m.kind === "error") failure = new Error(m.message);
    }
    notify();
  };
  const onError = (e: Error) => {
    failure = e;
    notify();
  };
  const onExit = () => {
    exited = true;
    notify();
  };
  worker.on("message", onMessage);
  worker.on("error", onError);
  worker.on("exit", onExit);
  const noAnswer = () => new Error("OCF decode worker stopped without an answer");
  let posted = false;
  try {
    const source = tapeSource(header.schema, pair, schemas, enums);
    if (source === null) return undefined;
    const job: DecodeJob = {
      path,
      source,
      pair,
      untilNs: asOf.kind === "time" ? asOf.ns : null,
      inputTypes: [...STANDBY_RULES.inputTypes],
      commandSideOutcomes: [...STANDBY_RULES.commandSideOutcomes],
      dedupeWindow: STANDBY_RULES.dedupeWindow,
      knownSymbols: [...catalog.keys()],
      enums,
      tapes,
      control: controlBuffer,
      firstTapeEntries: FIRST_TAPE_ENTRIES,
    };
    worker.postMessage(job);
    posted = true;
    const instrument = catalog.get(pair as Symbol);
    // Created at the pair's first valid input, as the one-thread path does (no input: no engine, no hash).
    let engine: MatchingEngine | undefined;
    const reader = new TapeReader(enums, pair);
    const progress: TapeProgress = {
      applied: 0,
      duplicates: 0,
      poison: 0,
      lastRecord: 0,
      stopped: false,
    };
    const stopSeq = asOf.kind === "seq" ? asOf.seq : 0;
    let records = 0;
    let workerCpu: number | undefined;
    for (let at = 0; ; at = (at + 1) % TAPES_IN_FLIGHT) {
      const c = TAPE_CONTROL * at;
      let state = Atomics.load(control, c);
      // A tape whose string area grew is read once its new buffers have arrived.
      while (state === TAPE_FREE || Atomics.load(control, c + 2) !== grown[at]) {
        if (failure !== undefined) throw failure;
        if ((exited || ended) && state === TAPE_FREE) throw noAnswer();
        if (state === TAPE_FREE) {
          // Every tape is free (this one is being written): be woken once WAKE_AFTER of them are full, or at the writer's end.
          const target = (at + WAKE_AFTER - 1) % TAPES_IN_FLIGHT;
          Atomics.store(control, wakeAt, target + 1);
          if (
            Atomics.load(control, c) === TAPE_FREE &&
            Atomics.load(control, TAPE_CONTROL * target) === TAPE_FREE
          ) {
            const w = Atomics.waitAsync(control, wakeAt, target + 1);
            if (w.async) await Promise.race([w.value, wakeUp]);
          }
          Atomics.store(control, wakeAt, 0);
        } else await wakeUp; // the tape is full; its "grown" message is on its way
        state = Atomics.load(control, c);
      }
      if (state === TAPE_END) {
        records = Atomics.load(control, c + 1);
        workerCpu = Atomics.load(control, TAPE_CONTROL * TAPES_IN_FLIGHT + 1);
        break;
      }
      const n = Atomics.load(control, c + 1);
      reader.load(tapes[at]!);
      if (engine === undefined && instrument !== undefined) {
        for (let k = 0; k < n && engine === undefined; k++)
          if (reader.kind(k) !== K_POISON) engine = createMatchingEngine(instrument);
      }
      if (engine === undefined) progress.poison += n;
      else applyTape(reader, n, engine, stopSeq, progress, DISCARD_OUTPUTS);
      if (progress.stopped) {
        records = progress.lastRecord;
        break;
      }
      Atomics.store(control, c, TAPE_FREE);
      // A writer waiting for free tapes asked to be woken at this one (see freeWakeSlot).
      if (Atomics.load(control, freeWake) === at + 1) {
        Atomics.store(control, freeWake, 0);
        Atomics.notify(control, freeWake);
      }
    }
    return {
      records,
      inputsApplied: progress.applied + progress.duplicates,
      lastSeq: engine?.seq ?? 0,
      stateHash: engine?.stateHash() ?? "",
      codec: header.codec,
      reader: "compiled",
      threads: "worker",
      ...(workerCpu === undefined ? {} : { workerCpuMicros: workerCpu }),
      workerStarted: started,
    };
  } finally {
    // A worker waiting for a free tape sees its tape stopped and ends the job; it is kept for the next rebuild once it has answered.
    Atomics.store(control, TAPE_CONTROL * TAPES_IN_FLIGHT, TAPE_STOP);
    for (let t = 0; t < TAPES_IN_FLIGHT; t++)
      Atomics.store(control, TAPE_CONTROL * t, TAPE_STOPPED);
    Atomics.store(control, freeWake, 0);
    Atomics.notify(control, freeWake);
    while (posted && !ended && !exited) await wakeUp;
    worker.off("message", onMessage);
    worker.off("error", onError);
    worker.off("exit", onExit);
    if (exited || failure !== undefined) void worker.terminate();
    else releaseWorker(worker);
  }
}

async function inline(
  input: Readable,
  pair: string,
  asOf: AsOf,
  catalog: InstrumentCatalog,
  schemas: SchemaCatalog,
): Promise<OcfReplay> {
  const applier = new StandbyApplier(catalog);
  const ocf = await openOcf(input);
  const compiled = compileReader(ocf.schema, schemas);
  const generic = compiled === undefined ? replayReaderType(ocf.schema) : undefined;
  let records = 0;
  let applied = 0;
  outer: for await (const { count, data } of ocf.blocks) {
    let pos = 0;
    for (let i = 0; i < count; i++) {
      records++;
      let payload: MatcherInput;
      let eventId: string | undefined;
      if (compiled !== undefined) {
        const p = compiled.read(data, pos, data.length);
        pos = compiled.end();
        if (p === null) continue;
        payload = p as MatcherInput;
      } else {
        const r = generic!.decode(data, pos);
        if (r.offset < 0) throw new Error("OCF block ends inside a record");
        pos = r.offset;
        const env = fromGeneric(r.value as { event: Record<string, Record<string, unknown>> });
        if (env === undefined) continue;
        payload = env.payload as MatcherInput;
        eventId = env.meta.eventId;
      }
      if (payload.symbol !== pair) continue;
      // The book is a prefix of the input sequence: stop at the first input past T.
      if (asOf.kind === "time" && payload.transactTime > asOf.ns) break outer;
      const outcome =
        eventId === undefined
          ? applier.applyWithId(payload, data, compiled!.idStart(), compiled!.idEnd())
          : applier.apply(payload, eventId);
      // Counted as bookAt counts: everything but poison (duplicates are inputs the matcher took and dropped).
      if (outcome !== "poison") applied++;
      if (asOf.kind === "seq" && (applier.engine(pair)?.seq ?? 0) >= asOf.seq) break outer;
    }
    if (pos !== data.length) throw new Error("OCF block has bytes after its last record");
  }
  const e = applier.engine(pair);
  return {
    records,
    inputsApplied: applied,
    lastSeq: e?.seq ?? 0,
    stateHash: e?.stateHash() ?? "",
    codec: ocf.codec,
    reader: compiled === undefined ? "avsc" : "compiled",
    threads: "inline",
  };
}

/** A reader of the export record that decodes only matcher inputs; undefined when the file's schema is not one the compiler models. */
function compileReader(
  schema: unknown,
  schemas: SchemaCatalog,
): SelectiveReader<{ readonly type: string }> | undefined {
  try {
    return compileSelectiveReader(
      schemaTree(schema),
      "event",
      (name) => {
        const type = INPUT_RECORDS.get(name);
        const current = type === undefined ? undefined : schemas.current(type);
        return current === undefined ? undefined : schemaTree(current.schema);
      },
      "input",
    );
  } catch (e) {
    if (e instanceof UnsupportedSchema) return undefined;
    throw e;
  }
}

/** A record read by the generic reader: the envelope when it is a matcher input. */
function fromGeneric(r: { event: Record<string, Record<string, unknown>> }): Envelope | undefined {
  const union = r.event;
  // A wrapped union value: one own key, the record's full name.
  const name = Object.keys(union)[0];
  const type = name === undefined ? undefined : INPUT_RECORDS.get(name);
  if (type === undefined) return undefined;
  const inner = union[name!]!;
  const { meta, ...fields } = inner;
  return {
    meta: meta as unknown as EnvelopeMeta,
    payload: { ...fields, type } as unknown as DomainEvent,
  };
}
