import type { LogCheckpoint } from "../port/event-store.ts";

/** Postgres log checkpoint: "<transaction id>/<global position>" of the last event read. */
export const encodeCheckpoint = (transactionId: bigint, position: bigint): LogCheckpoint =>
  `${transactionId}/${position}` as LogCheckpoint;

export const decodeCheckpoint = (c: LogCheckpoint): { transactionId: bigint; position: bigint } => {
  if (c === "") return { transactionId: 0n, position: 0n };
  const m = /^(\d+)\/(\d+)$/.exec(c);
  if (m === null || m[1] === undefined || m[2] === undefined)
    throw new Error(`not a Postgres log checkpoint: ${JSON.stringify(c)}`);
  return { transactionId: BigInt(m[1]), position: BigInt(m[2]) };
};
