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
// in the client's queue), and latency counts from the due time: a slow answer
// delays no later order's clock (no coordinated omission).

import { createSecretKey, type KeyObject } from "node:crypto";
import { http1Client } from "@fxcore/infra";
import * as hdr from "hdr-histogram-js";
import { sign } from "../src/auth/signing.ts";

interface Setup {
  readonly keys: ReadonlyArray<{ readonly id: string; readonly secretHex: string }>;
  readonly connections: number;
  /** Orders per second, open loop; 0: closed loop (one in flight per connection). */
  readonly rate: number;
  readonly port: number;
  /** Makes ClOrdIDs unique across runs and load generators. */
  readonly prefix: string;
}

export interface LoadResult {
  readonly done: number;
  readonly acked: number;
  readonly statuses: Record<string, number>;
  readonly histogram: string;
  readonly cpuUs: number;
  /** The kernel's part of cpuUs (socket syscalls, loopback TCP). */
  readonly sysUs: number;
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
  if (!measuring) return;
  histogram.recordValue(Math.max(1, Math.round((performance.now() - t0) * 1000)));
  statuses.set(status, (statuses.get(status) ?? 0) + 1);
  done++;
  if (ok) acked++;
};

/** Sends one order, signed now, and records its answer against `t0`. */
const place = async (t0: number): Promise<void> => {
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

/** Open loop: every order due by now leaves, timed from when it was due. */
const openLoop = async (rate: number): Promise<void> => {
  const start = performance.now();
  const gapMs = 1000 / rate;
  let sent = 0;
  while (running) {
    const due = Math.floor((performance.now() - start) / gapMs);
    for (; sent < due; sent++) void place(start + sent * gapMs);
    await new Promise((r) => setTimeout(r, 1));
  }
};

const users =
  setup.rate > 0 ? [openLoop(setup.rate)] : Array.from({ length: setup.connections }, user);

process.on("message", (m) => {
  if (m === "measure") {
    cpu0 = process.cpuUsage();
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
