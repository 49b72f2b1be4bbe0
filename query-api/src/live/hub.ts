// One LISTEN connection per process: the projection NOTIFYs after each
// committed batch which accounts and pairs changed; SSE streams subscribe here.
import { EventEmitter } from "node:events";
import type { Logger } from "@fxcore/infra";
import pg from "pg";

export const NOTIFY_CHANNEL = "fx_read_models";

export interface NotificationHub {
  onAccount(account: string, fn: () => void): () => void;
  onSymbol(symbol: string, fn: () => void): () => void;
  close(): Promise<void>;
}

export async function startNotificationHub(
  databaseUrl: string,
  logger?: Logger,
): Promise<NotificationHub> {
  const bus = new EventEmitter();
  bus.setMaxListeners(0);
  let client: pg.Client | undefined;
  let closed = false;
  const connect = async (): Promise<void> => {
    const c = new pg.Client({
      connectionString: databaseUrl,
      application_name: "query-api-listen",
    });
    c.on("notification", (msg) => {
      try {
        const p = JSON.parse(msg.payload ?? "{}") as {
          accounts?: string[];
          symbols?: string[];
          all?: boolean;
        };
        if (p.all) bus.emit("all");
        for (const a of p.accounts ?? []) bus.emit(`a:${a}`);
        for (const s of p.symbols ?? []) bus.emit(`s:${s}`);
      } catch {
        bus.emit("all");
      }
    });
    c.on("error", (err) => {
      logger?.warn({ err }, "notification connection lost; reconnecting");
      bus.emit("all"); // streams re-read: nothing missed while reconnecting
      if (!closed) setTimeout(() => void connect().catch(() => {}), 1_000);
    });
    await c.connect();
    await c.query(`LISTEN ${NOTIFY_CHANNEL}`);
    client = c;
  };
  await connect();
  const sub = (event: string, fn: () => void) => {
    bus.on(event, fn);
    bus.on("all", fn);
    return () => {
      bus.off(event, fn);
      bus.off("all", fn);
    };
  };
  return {
    onAccount: (a, fn) => sub(`a:${a}`, fn),
    onSymbol: (s, fn) => sub(`s:${s}`, fn),
    async close() {
      closed = true;
      await client?.end().catch(() => {});
    },
  };
}
