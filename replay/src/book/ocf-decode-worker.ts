// The second thread of a book rebuilt from an OCF file (ADR 089): reads the
// file (synchronous reads into one reused buffer), inflates blocks, decodes
// the pair's inputs with a reader compiled in tape form (compiled on the
// engine's thread, sent as source), runs them through the matcher's gate
// (validation, dedupe window) and writes them onto tapes in shared memory
// that the engine's thread applies. Loads no Avro library, no compiler and
// no matcher: the reader and the rules come in as data. The thread is kept
// between rebuilds (ADR 096): one job per message, one answer per job.
import { parentPort } from "node:worker_threads";
import type { TapeReaderSource, TapeRecordReader } from "../codec/avro-compiler.ts";
import { openOcfFile } from "../export/ocf-container.ts";
import { IdWindow } from "./input-gate.ts";
import {
  K_DUPLICATE,
  K_POISON,
  KIND_OF_RECORD,
  TAPE_CONTROL,
  TAPE_END,
  TAPE_ENTRIES,
  TAPE_FREE,
  TAPE_FULL,
  TAPE_STOP,
  TAPE_STOPPED,
  type TapeBuffers,
  type TapeEnums,
  TapeWriter,
  freeWakeSlot,
  wakeSlot,
} from "./input-tape.ts";

/** One rebuild's work, posted to a (possibly reused) decode worker. */
export interface DecodeJob {
  readonly path: string;
  /** The tape reader compiled from the file's header on the engine's thread. */
  readonly source: TapeReaderSource;
  readonly pair: string;
  /** Stop at the first input of the pair past this TransactTime (ns); null: read to the end. */
  readonly untilNs: bigint | null;
  readonly inputTypes: readonly string[];
  readonly commandSideOutcomes: readonly string[];
  readonly dedupeWindow: number;
  readonly knownSymbols: readonly string[];
  readonly enums: TapeEnums;
  /** The tapes, in shared memory, filled in turn. */
  readonly tapes: readonly TapeBuffers[];
  /** Per tape: state, entries, string areas grown so far (TAPE_CONTROL int32); then the stop flag, then the worker's CPU µs at its end. */
  readonly control: SharedArrayBuffer;
  /** First tapes handed over early (fewer entries), so the engine's thread starts sooner. */
  readonly firstTapeEntries: number;
}

/** Messages to the engine's thread (tapes themselves are announced in the control array): "grown" any number of times, then one "end" or "error" per job. */
export type DecodeWorkerMessage =
  /** A tape's string area was replaced by a bigger one. */
  | { readonly kind: "grown"; readonly tape: number; readonly buffers: TapeBuffers }
  | { readonly kind: "end" }
  | { readonly kind: "error"; readonly message: string };

const port = parentPort!;
const post = (m: DecodeWorkerMessage) => port.postMessage(m);

class Stopped extends Error {}

// Readers by source and constants: a file schema read again runs warm (already optimised) code.
const readers = new Map<string, TapeRecordReader>();
const readerOf = (source: TapeReaderSource): TapeRecordReader => {
  const key = `${source.code}\0${JSON.stringify(source.consts, (_, v) => (typeof v === "bigint" ? `${v}n` : v))}`;
  let r = readers.get(key);
  if (r === undefined) {
    // (instantiateTapeReader's one line, here so that the compiler module is not loaded.)
    r = new Function("K", source.code)(source.consts) as TapeRecordReader;
    if (readers.size >= 8) readers.clear();
    readers.set(key, r);
  }
  return r;
};

function run(cfg: DecodeJob): void {
  const cpu0 = process.threadCpuUsage();
  const file = openOcfFile(cfg.path);
  try {
    decode(cfg, file.next, readerOf(cfg.source), cpu0);
  } finally {
    file.close();
  }
}

function decode(
  cfg: DecodeJob,
  next: () => { count: number; data: Buffer } | undefined,
  reader: TapeRecordReader,
  cpu0: NodeJS.CpuUsage,
): void {
  const control = new Int32Array(cfg.control);
  const stopAt = TAPE_CONTROL * cfg.tapes.length;
  // The gate's rules on the tape: inputs only (the reader selects nothing else), valid, the pair known, not a duplicate.
  const known = cfg.knownSymbols.includes(cfg.pair);
  for (const type of KIND_OF_RECORD.keys()) {
    if (!cfg.inputTypes.includes(type.slice(type.lastIndexOf(".") + 1))) {
      throw new Error(`${type} is not a matcher input`);
    }
  }
  const seen = new IdWindow(cfg.dedupeWindow);
  const tapes = [...cfg.tapes];
  let at = 0;
  // The first tape is handed over early and each next one holds twice as many, up to a full tape.
  let limit = Math.max(1, Math.min(cfg.firstTapeEntries, TAPE_ENTRIES));
  const tape = new TapeWriter(cfg.enums, tapes[0]!, limit);
  const wake = wakeSlot(cfg.tapes.length);
  // The engine's thread is woken only at the tape it asked for (see wakeSlot).
  const publish = () => {
    Atomics.store(control, TAPE_CONTROL * at + 1, tape.n);
    Atomics.store(control, TAPE_CONTROL * at, TAPE_FULL);
    if (Atomics.load(control, wake) === at + 1) {
      Atomics.store(control, wake, 0);
      Atomics.notify(control, wake);
    }
  };
  // Hands the filled tape over and waits until the next one is free (the engine's thread frees them in turn).
  const flush = () => {
    publish();
    at = (at + 1) % tapes.length;
    waitFree();
    limit = Math.min(2 * limit, TAPE_ENTRIES);
    tape.reset(tapes[at]!, limit);
  };
  // The engine's thread frees tapes in turn; it marks them stopped when it ends early.
  // Every tape is full here: ask to be woken once this one and the next are free
  // (one wake-up per two tapes), or at a stop (which clears the slot: no lost wake-up).
  const freeWake = freeWakeSlot(cfg.tapes.length);
  const waitFree = () => {
    for (let s = Atomics.load(control, TAPE_CONTROL * at); s !== TAPE_FREE; ) {
      if (s === TAPE_STOPPED || Atomics.load(control, stopAt) === TAPE_STOP) throw new Stopped();
      const target = (at + 1) % tapes.length;
      Atomics.store(control, freeWake, target + 1);
      if (
        Atomics.load(control, TAPE_CONTROL * at) === TAPE_FULL &&
        Atomics.load(control, TAPE_CONTROL * target) === TAPE_FULL
      )
        Atomics.wait(control, freeWake, target + 1);
      Atomics.store(control, freeWake, 0);
      s = Atomics.load(control, TAPE_CONTROL * at);
    }
  };
  const until = cfg.untilNs;
  const T64 = () => new BigInt64Array(tape.T.buffer);
  let times = until === null ? undefined : T64();
  let records = 0;
  outer: for (let block = next(); block !== undefined; block = next()) {
    const { count, data } = block;
    let pos = 0;
    for (let i = 0; i < count; i++) {
      if (tape.full) {
        flush();
        if (times !== undefined) times = T64();
      }
      const kind = reader.read(data, pos, data.length, tape);
      if (kind < 0 || !reader.samePair()) {
        pos = reader.end();
        records++;
        continue;
      }
      // The book is a prefix of the input sequence: stop at the first input past T.
      if (times !== undefined && times[tape.n * 2]! > until!) {
        records++;
        break outer;
      }
      const valid = known && tape.valid();
      if (
        reader.overflow() ||
        (valid &&
          !tape.accountFits(reader.stringsEnd(), data, reader.accountStart(), reader.accountEnd()))
      ) {
        // Strings that do not fit this tape: hand it over (or grow an empty one) and read the record again.
        if (tape.n > 0) flush();
        else {
          tape.growStrings(8 * (reader.end() - pos));
          tapes[at] = tape.buffers;
          post({ kind: "grown", tape: at, buffers: tape.buffers });
          Atomics.add(control, TAPE_CONTROL * at + 2, 1);
        }
        if (times !== undefined) times = T64();
        i--;
        continue;
      }
      pos = reader.end();
      records++;
      if (!valid) tape.mark(K_POISON, records);
      else if (!seen.addIfAbsent(data, reader.idStart(), reader.idEnd()))
        tape.mark(K_DUPLICATE, records);
      else
        tape.commit(records, reader.stringsEnd(), data, reader.accountStart(), reader.accountEnd());
    }
    if (pos !== data.length) throw new Error("OCF block has bytes after its last record");
  }
  if (tape.n > 0) {
    publish();
    at = (at + 1) % tapes.length;
    waitFree();
  }
  Atomics.store(control, TAPE_CONTROL * at + 1, records);
  const cpu = process.threadCpuUsage(cpu0);
  Atomics.store(control, stopAt + 1, Math.min(cpu.user + cpu.system, 2 ** 31 - 1));
  Atomics.store(control, TAPE_CONTROL * at, TAPE_END);
  Atomics.store(control, wake, 0);
  Atomics.notify(control, wake);
}

port.on("message", (job: DecodeJob) => {
  try {
    run(job);
    post({ kind: "end" });
  } catch (e) {
    post(
      e instanceof Stopped
        ? { kind: "end" }
        : { kind: "error", message: e instanceof Error ? e.message : String(e) },
    );
  }
});
