// The second thread of a book rebuilt from an OCF file (ADR 089): reads the
// file (synchronous reads into one reused buffer), inflates blocks, decodes
// the pair's inputs with a reader compiled in tape form (compiled on the
// engine's thread, sent as source), runs them through the matcher's gate
// (validation, dedupe window) and writes them onto tapes in shared memory
// that the engine's thread applies. Loads no Avro library, no compiler and
// no matcher: the reader and the rules come in as data.
import { once } from "node:events";
import { parentPort, workerData } from "node:worker_threads";
import type { TapeReaderSource, TapeRecordReader } from "../codec/avro-compiler.ts";
import { openOcfFile } from "../export/ocf-container.ts";
import { IdWindow } from "./input-gate.ts";
import {
  K_DUPLICATE,
  K_POISON,
  KIND_OF_RECORD,
  TAPE_CONTROL,
  TAPE_END,
  TAPE_FREE,
  TAPE_FULL,
  TAPE_STOP,
  type TapeBuffers,
  type TapeEnums,
  TapeWriter,
} from "./input-tape.ts";

export interface DecodeWorkerData {
  readonly path: string;
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
}

/** Messages to the engine's thread (tapes themselves are announced in the control array); it sends one, the compiled TapeReaderSource. */
export type DecodeWorkerMessage =
  /** A tape's string area was replaced by a bigger one. */
  | { readonly kind: "grown"; readonly tape: number; readonly buffers: TapeBuffers }
  | { readonly kind: "error"; readonly message: string };

const port = parentPort!;
const cfg = workerData as DecodeWorkerData;
const post = (m: DecodeWorkerMessage) => port.postMessage(m);
const control = new Int32Array(cfg.control);
const stopAt = TAPE_CONTROL * cfg.tapes.length;

class Stopped extends Error {}

async function run(): Promise<void> {
  // The reader arrives compiled (this thread loads no compiler); the file is opened meanwhile.
  const file = openOcfFile(cfg.path);
  try {
    const [source] = (await once(port, "message")) as [TapeReaderSource];
    // (instantiateTapeReader's one line, here so that the compiler module is not loaded.)
    decode(file.next, new Function("K", source.code)(source.consts) as TapeRecordReader);
  } finally {
    file.close();
  }
}

function decode(
  next: () => { count: number; data: Buffer } | undefined,
  reader: TapeRecordReader,
): void {
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
  const tape = new TapeWriter(cfg.enums, tapes[0]!);
  const publish = () => {
    Atomics.store(control, TAPE_CONTROL * at + 1, tape.n);
    Atomics.store(control, TAPE_CONTROL * at, TAPE_FULL);
    Atomics.notify(control, TAPE_CONTROL * at);
  };
  // Hands the filled tape over and waits until the next one is free (the engine's thread frees them in turn).
  const flush = () => {
    publish();
    at = (at + 1) % tapes.length;
    while (Atomics.load(control, TAPE_CONTROL * at) !== TAPE_FREE) {
      Atomics.wait(control, TAPE_CONTROL * at, TAPE_FULL);
      if (Atomics.load(control, stopAt) === TAPE_STOP) throw new Stopped();
    }
    tape.reset(tapes[at]!);
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
    while (Atomics.load(control, TAPE_CONTROL * at) !== TAPE_FREE) {
      Atomics.wait(control, TAPE_CONTROL * at, TAPE_FULL);
      if (Atomics.load(control, stopAt) === TAPE_STOP) throw new Stopped();
    }
  }
  Atomics.store(control, TAPE_CONTROL * at + 1, records);
  const cpu = process.threadCpuUsage();
  Atomics.store(control, stopAt + 1, Math.min(cpu.user + cpu.system, 2 ** 31 - 1));
  Atomics.store(control, TAPE_CONTROL * at, TAPE_END);
  Atomics.notify(control, TAPE_CONTROL * at);
}

run().then(
  () => port.close(),
  (e: unknown) => {
    if (!(e instanceof Stopped))
      post({ kind: "error", message: e instanceof Error ? e.message : String(e) });
    port.close();
  },
);
