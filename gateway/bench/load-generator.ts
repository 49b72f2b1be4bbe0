// The load generator of `npm run bench:gateway`, run as a child process so its
// CPU is accounted apart from the gateway's. Closed loop: CONNECTIONS
// keep-alive sockets, one request in flight on each; every request is a
// NewOrderSingle with a fresh ClOrdID, signed when it is sent (timestamp now,
// HMAC over the body hash — never pre-signed). HTTP/1.1 goes through infra's
// one lean client (http1Client, no pipelining here): a general client would
// cost more CPU than the gateway it measures, on the same two cores. Its CPU
// and GC pauses are taken from the processes it measures, so an order costs
// no promise or closure of its own (ADR 128); what is left is mostly the
// kernel's one write and one read per order.
//
// Protocol with the parent (IPC): it sends {keys, connections, port, prefix};
// "measure" starts recording, "stop" ends it and we answer with counts,
// statuses and the latency histogram (compressed base64), then exit.
//
// With a rate (open loop), orders leave when they are due whatever is in
// flight, over at most CONNECTIONS sockets (an order with no free socket waits
// here until one is free, and is signed when it leaves), and latency counts
// from the due time: a slow answer delays no later order's clock (no
// coordinated omission).

import { createSecretKey, type KeyObject } from "node:crypto";
import * as hdr from "hdr-histogram-js";
// infra's one HTTP client, by its module rather than the package's index: the
// index loads Kafka, Postgres and OpenTelemetry too, 26 MB of live heap
// against ~9 MB, and every major GC here marks all of it while the orders
// it times wait (their latency counts from the due time).
import { type Http1Result, http1Client } from "@fxcore/infra/http";
import { sign } from "../src/auth/signing.ts";
import { decimalDigits } from "../src/fix/digits.ts";

interface Setup {
  readonly keys: ReadonlyArray<{ readonly id: string; readonly secretHex: string }>;
  readonly connections: number;
  /** Orders per second, open loop; 0: closed loop (one in flight per connection). */
  readonly rate: number;
  /** Open loop: the offered rate rises linearly from 0 to `rate` over this many seconds first. */
  readonly rampS: number;
  readonly port: number;
  /** Makes ClOrdIDs unique across runs and load generators. */
  readonly prefix: string;
  /** The tail's shape: latency per window of this many ms of due time. */
  readonly windowMs: number;
}

export interface LoadResult {
  readonly done: number;
  readonly acked: number;
  readonly statuses: Record<string, number>;
  readonly histogram: string;
  readonly cpuUs: number;
  /** The kernel's part of cpuUs (socket syscalls, loopback TCP). */
  readonly sysUs: number;
  /** Epoch ms when measuring began: window i covers [i, i+1) × WINDOW_MS after it. */
  readonly windowsFrom: number;
  /** Per window: orders due (sent), answers received, latency of the orders due in it. */
  readonly windows: ReadonlyArray<WindowStats>;
  /** Open loop, when measuring began: orders due but not yet sent, and orders in flight. */
  readonly backlogAtStart: { readonly unsent: number; readonly inFlight: number };
}

export interface WindowStats {
  readonly sent: number;
  readonly acked: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

const setup = await new Promise<Setup>((resolve) =>
  process.once("message", (m) => resolve(m as Setup)),
);
const keys: Array<{ id: string; secret: KeyObject; head: string }> = setup.keys.map((k) => ({
  id: k.id,
  secret: createSecretKey(Buffer.from(k.secretHex, "hex")),
  // The header lines that never change for a key, written once.
  head: `content-type: application/json\r\nfx-key: ${k.id}\r\nfx-timestamp: `,
}));
/** Price text of each of the 100 buy and 100 sell levels, written once. */
const priceText = (px: number) =>
  `${Math.floor(px / 100_000)}.${String(px % 100_000).padStart(5, "0")}`;
const BUY_PX = Array.from({ length: 100 }, (_, i) => priceText(100_000 + i));
const SELL_PX = Array.from({ length: 100 }, (_, i) => priceText(120_000 + i));

const histogram = hdr.build({
  lowestDiscernibleValue: 1,
  highestTrackableValue: 60_000_000,
  numberOfSignificantValueDigits: 3,
});
const statuses = new Map<number, number>();
let measuring = false;
let running = true;
let done = 0;
let acked = 0;
let seq = 0;
let cpu0 = process.cpuUsage();
let measureFrom = 0;
let measureFromEpoch = 0;
let backlogAtStart = { unsent: 0, inFlight: 0 };
/**
 * Per window of due time: orders due, answers (by arrival), and each answered
 * order's (window, latency µs) in typed-array chunks. Off the JS heap, so the
 * load generator's own collector neither copies nor marks them: its pauses
 * count in the latencies it measures.
 */
const MAX_WINDOWS = 36_000;
const windowSent = new Uint32Array(MAX_WINDOWS);
const windowAcked = new Uint32Array(MAX_WINDOWS);
const CHUNK = 1 << 16;
const sampleWindow: Uint32Array[] = [];
const sampleUs: Uint32Array[] = [];
let samples = 0;
let windowsUsed = 0;
const addSample = (w: number, us: number) => {
  const c = samples >>> 16;
  if (c === sampleWindow.length) {
    sampleWindow.push(new Uint32Array(CHUNK));
    sampleUs.push(new Uint32Array(CHUNK));
  }
  sampleWindow[c]![samples & (CHUNK - 1)] = w;
  sampleUs[c]![samples & (CHUNK - 1)] = us;
  samples++;
  if (w >= windowsUsed) windowsUsed = w + 1;
};
const windowOf = (t: number) => Math.floor((t - measureFrom) / setup.windowMs);
const inWindows = (w: number) => w >= 0 && w < MAX_WINDOWS;

const PATH = "/v1/fix";
const client = http1Client({
  host: "127.0.0.1",
  port: setup.port,
  connections: setup.connections,
  pipelining: 1,
  timeoutMs: 30_000,
  connectTimeoutMs: 5_000,
});

/** The body's text before and after the ClOrdID's number, per side and price level, written once. */
const BODY_HEAD = `{"MsgType":"D","ClOrdID":"${setup.prefix}`;
const bodyTail = (buy: boolean, level: number) =>
  `","Symbol":"EURUSD","Side":"${buy ? "1" : "2"}","TransactTime":"20260101-10:00:00.000","OrderQty":"1000","OrdType":"2","Price":"${(buy ? BUY_PX : SELL_PX)[level]}","TimeInForce":"1"}`;
/** Order n's tail is BODY_TAIL[n % 200]: even n buy, odd n sell, level n % 100 (as before). */
const BODY_TAIL = Array.from({ length: 200 }, (_, i) => bodyTail((i & 1) === 0, i % 100));

const record = (status: number, ok: boolean, t0: number) => {
  const now = performance.now();
  const us = Math.max(1, Math.round((now - t0) * 1000));
  // Recorded in the warm-up too (reset when measuring begins), so the first
  // measured answers do not pay for compiling this path.
  histogram.recordValue(us);
  statuses.set(status, (statuses.get(status) ?? 0) + 1);
  done++;
  if (!measuring) return;
  const w = windowOf(t0);
  if (inWindows(w)) addSample(w, us);
  if (ok) {
    acked++;
    const a = windowOf(now);
    if (inWindows(a)) {
      windowAcked[a]!++;
      if (a >= windowsUsed) windowsUsed = a + 1;
    }
  }
};

const windowStats = (): WindowStats[] => {
  // Group the samples by window (counting sort), then sort each window's.
  const start = new Uint32Array(windowsUsed + 1);
  for (let i = 0; i < samples; i++) start[sampleWindow[i >>> 16]![i & (CHUNK - 1)]! + 1]!++;
  for (let w = 1; w <= windowsUsed; w++) start[w]! += start[w - 1]!;
  const next = start.slice();
  const sorted = new Uint32Array(samples);
  for (let i = 0; i < samples; i++)
    sorted[next[sampleWindow[i >>> 16]![i & (CHUNK - 1)]!]!++] =
      sampleUs[i >>> 16]![i & (CHUNK - 1)]!;
  return Array.from({ length: windowsUsed }, (_, w) => {
    const xs = sorted.subarray(start[w]!, start[w + 1]!).sort();
    const at = (q: number) => (xs[Math.min(xs.length - 1, Math.floor(xs.length * q))] ?? 0) / 1000;
    return {
      sent: windowSent[w]!,
      acked: windowAcked[w]!,
      p50Ms: at(0.5),
      p99Ms: at(0.99),
      maxMs: (xs[xs.length - 1] ?? 0) / 1000,
    };
  });
};

/**
 * One order in flight at a time (one per connection at most): its due time,
 * and its answer's handler, made once, so an order costs no closure or
 * promise of its own (the load generator's collector pauses count in the
 * latencies it measures).
 */
interface Slot {
  t0: number;
  readonly done: (r: Http1Result) => void;
}
let inFlight = 0;
/** Called when an answer has been recorded and the slot is free again. */
let onFree: (slot: Slot) => void = () => {};
const newSlot = (): Slot => {
  const slot: Slot = {
    t0: 0,
    done: (r) => {
      inFlight--;
      // An ack is ExecutionReport New (150=0), not merely a 200.
      if (r.ok)
        record(
          r.res.status,
          r.res.status === 200 && r.res.body.includes('"ExecType":"0"'),
          slot.t0,
        );
      else record(-1, false, slot.t0);
      onFree(slot);
    },
  };
  return slot;
};

/** Sends one order on `slot`, built and signed now, and records its answer against `t0`. */
const place = (slot: Slot, t0: number): void => {
  if (measuring) {
    const w = windowOf(t0);
    if (inWindows(w)) {
      windowSent[w]!++;
      if (w >= windowsUsed) windowsUsed = w + 1;
    }
  }
  const n = seq++;
  const k = keys[n % keys.length]!;
  // Not String(n): V8's number-to-string cache would carry each counter into old space.
  const body = BODY_HEAD + decimalDigits(n) + BODY_TAIL[n % 200]!;
  const ts = decimalDigits(Date.now());
  const sig = sign(k.secret, ts, "POST", PATH, body);
  slot.t0 = t0;
  inFlight++;
  client.send("POST", PATH, `${k.head}${ts}\r\nfx-signature: ${sig}\r\n`, body, slot.done);
};

/** Closed loop: each connection's next order leaves when its last one is answered. */
const closedLoop = (): void => {
  onFree = (slot) => {
    if (running) place(slot, performance.now());
  };
  for (let i = 0; i < setup.connections; i++) place(newSlot(), performance.now());
};

/**
 * Open loop: every order due by now leaves, timed from when it was due. Due
 * orders with no free connection wait here as a count (order i's due time is
 * a function of i), and each is signed when it leaves: a backlog costs no
 * memory, and a long wait cannot outlive its signature's time window.
 *
 * The rate ramps up linearly over the first `rampS` seconds (all in the
 * warm-up): a cold service meets a rising load, as traffic arrives at a venue,
 * instead of a step that leaves a backlog from its JIT warm-up to drain.
 */
let backlog = () => ({ unsent: 0, inFlight: 0 });
const openLoop = (rate: number, rampS: number): void => {
  const start = performance.now();
  const perMs = rate / 1000;
  const rampMs = rampS * 1000;
  const rampOrders = (perMs * rampMs) / 2;
  /** Orders due by `ms` after the start: ∫ rate, rate(t) = perMs × min(1, t / rampMs). */
  const dueBy = (ms: number) =>
    Math.floor(ms < rampMs ? (perMs * ms * ms) / (2 * rampMs) : rampOrders + perMs * (ms - rampMs));
  /** When order i was due (ms after the start): dueBy's inverse. */
  const dueAt = (i: number) =>
    i < rampOrders ? Math.sqrt((2 * rampMs * i) / perMs) : rampMs + (i - rampOrders) / perMs;
  let sent = 0;
  /** Slots not in flight: at most `connections` orders are. */
  const free: Slot[] = Array.from({ length: setup.connections }, newSlot);
  backlog = () => ({ unsent: dueBy(performance.now() - start) - sent, inFlight });
  const sendDue = () => {
    const due = dueBy(performance.now() - start);
    for (; sent < due && free.length > 0; sent++) place(free.pop()!, start + dueAt(sent));
  };
  onFree = (slot) => {
    free.push(slot);
    if (running) sendDue();
  };
  // One interval timer for every order (not a timer or promise per tick).
  const tick = setInterval(() => {
    if (running) sendDue();
    else clearInterval(tick);
  }, 1);
};

if (setup.rate > 0) openLoop(setup.rate, setup.rampS);
else closedLoop();

process.on("message", (m) => {
  if (m === "measure") {
    histogram.reset();
    statuses.clear();
    done = 0;
    acked = 0;
    cpu0 = process.cpuUsage();
    measureFrom = performance.now();
    measureFromEpoch = Date.now();
    backlogAtStart = backlog();
    measuring = true;
  } else if (m === "stop") {
    measuring = false;
    const c = process.cpuUsage(cpu0);
    const result: LoadResult = {
      done,
      acked,
      statuses: Object.fromEntries(statuses),
      histogram: hdr.encodeIntoCompressedBase64(histogram),
      cpuUs: c.user + c.system,
      sysUs: c.system,
      windowsFrom: measureFromEpoch,
      windows: windowStats(),
      backlogAtStart,
    };
    running = false;
    // The client's close waits for the answers still in flight.
    process.send!(result, () => void client.close().then(() => process.exit(0)));
  }
});
process.send!("ready");
