// The load generator of `npm run bench:gateway`, run as a child process so its
// CPU is accounted apart from the gateway's. Closed loop: CONNECTIONS
// keep-alive sockets, one request in flight on each; every request is a
// NewOrderSingle with a fresh ClOrdID, signed when it is sent (timestamp now,
// HMAC over the body hash — never pre-signed). HTTP/1.1 goes through infra's
// one lean client (http1Client, no pipelining here): a general client would
// cost more CPU than the gateway it measures, on the same two cores.
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
import { http1Client } from "@fxcore/infra";
import * as hdr from "hdr-histogram-js";
import { sign } from "../src/auth/signing.ts";

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

/** One signed NewOrderSingle: its header lines and body. */
const nextRequest = (): { headers: string; body: string } => {
  const n = seq++;
  const k = keys[n % keys.length]!;
  const buy = (n & 1) === 0;
  const body = `{"MsgType":"D","ClOrdID":"${setup.prefix}${n}","Symbol":"EURUSD","Side":"${buy ? "1" : "2"}","TransactTime":"20260101-10:00:00.000","OrderQty":"1000","OrdType":"2","Price":"${(buy ? BUY_PX : SELL_PX)[n % 100]}","TimeInForce":"1"}`;
  const ts = String(Date.now());
  const sig = sign(k.secret, ts, "POST", PATH, body);
  return { headers: `${k.head}${ts}\r\nfx-signature: ${sig}\r\n`, body };
};

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

/** Sends one order, signed now, and records its answer against `t0`. */
const place = async (t0: number): Promise<void> => {
  if (measuring) {
    const w = windowOf(t0);
    if (inWindows(w)) {
      windowSent[w]!++;
      if (w >= windowsUsed) windowsUsed = w + 1;
    }
  }
  const r = nextRequest();
  const res = await client.request("POST", PATH, r.headers, r.body);
  // An ack is ExecutionReport New (150=0), not merely a 200.
  if (res.ok)
    record(res.res.status, res.res.status === 200 && res.res.body.includes('"ExecType":"0"'), t0);
  else record(-1, false, t0);
};

/** One closed-loop user: the next order leaves when the last one is answered. */
const user = async (): Promise<void> => {
  while (running) await place(performance.now());
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
const openLoop = async (rate: number, rampS: number): Promise<void> => {
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
  let inFlight = 0;
  backlog = () => ({ unsent: dueBy(performance.now() - start) - sent, inFlight });
  const sendDue = () => {
    const due = dueBy(performance.now() - start);
    for (; sent < due && inFlight < setup.connections; sent++) {
      inFlight++;
      void place(start + dueAt(sent)).then(answered);
    }
  };
  const answered = () => {
    inFlight--;
    if (running) sendDue();
  };
  while (running) {
    sendDue();
    await new Promise((r) => setTimeout(r, 1));
  }
};

const users =
  setup.rate > 0
    ? [openLoop(setup.rate, setup.rampS)]
    : Array.from({ length: setup.connections }, user);

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
    process.send!(result, () => {
      void Promise.all(users)
        .then(() => client.close())
        .then(() => process.exit(0));
    });
  }
});
process.send!("ready");
