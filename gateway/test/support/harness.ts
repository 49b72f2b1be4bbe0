// Builds the real app around in-memory keys, the domain-backed order entry
// double and an in-memory execution source, with a controllable clock.

import { randomBytes } from "node:crypto";
import type { ActiveKey } from "../../src/auth/authenticate.ts";
import type { Principal } from "../../src/auth/principal.ts";
import { signedHeaders } from "../../src/auth/signing.ts";
import type { ExecutionRecord, ExecutionSource } from "../../src/executions/source.ts";
import { buildApp, DEFAULT_RATE_LIMITS, type GatewayOptions } from "../../src/http/app.ts";
import { type DomainOrderEntry, domainOrderEntry } from "./domain-order-entry.ts";

export interface TestKey {
  readonly id: string;
  readonly secret: Buffer;
}

export const memoryExecutions = () => {
  const rows: ExecutionRecord[] = [];
  const source: ExecutionSource & { push(r: ExecutionRecord): void } = {
    push: (r) => rows.push(r),
    async after(account, afterSeq, limit) {
      return rows.filter((r) => r.account === account && r.accountSeq > afterSeq).slice(0, limit);
    },
    async ready() {
      return true;
    },
  };
  return source;
};

export const makeHarness = async (over: Partial<GatewayOptions> = {}) => {
  const clock = { now: 1_790_000_000_000 };
  const keys = new Map<string, ActiveKey>();
  const addKey = (
    principal: Omit<Principal, "keyId">,
    id = `k${keys.size + 1}`,
    secret: Buffer = randomBytes(32),
  ): TestKey => {
    keys.set(id, { principal: { ...principal, keyId: id }, secret });
    return { id, secret };
  };
  const orderEntry: DomainOrderEntry = domainOrderEntry(["ACC1", "ACC2"]);
  const executions = memoryExecutions();
  const app = await buildApp({
    keys: { find: async (id) => keys.get(id) ?? null },
    orderEntry,
    executions,
    rateLimits: DEFAULT_RATE_LIMITS,
    now: () => clock.now,
    ...over,
  });
  let tick = 0;
  /** A signed inject; each call moves the clock 1 ms so signatures differ. */
  const signed = (
    key: TestKey,
    method: "GET" | "POST",
    url: string,
    body = "",
    contentType = "application/json",
    extra: Record<string, string> = {},
  ) => {
    clock.now += 1;
    tick++;
    const headers = {
      ...signedHeaders(key.id, key.secret, method, url, body, clock.now),
      ...(method === "POST" ? { "content-type": contentType } : {}),
      ...extra,
    };
    return app.inject({ method, url, headers, ...(method === "POST" ? { payload: body } : {}) });
  };
  return { app, clock, addKey, orderEntry, executions, signed, ticks: () => tick };
};

export const nos = (over: Record<string, string | undefined> = {}): string =>
  JSON.stringify(
    Object.fromEntries(
      Object.entries({
        MsgType: "D",
        ClOrdID: "c1",
        Account: "ACC1",
        Symbol: "EURUSD",
        Side: "1",
        TransactTime: "20260101-10:00:00.000",
        OrderQty: "1000000",
        OrdType: "2",
        Price: "1.10000",
        TimeInForce: "1",
        ...over,
      }).filter(([, v]) => v !== undefined),
    ),
  );
