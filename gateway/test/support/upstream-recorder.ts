// A stand-in for command-service in the tracing tests: a real socket that
// records each call's headers and batch items and answers 503
// STORE_UNAVAILABLE, so nothing is ever stored.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { REFERENCE_CATALOG } from "@fxcore/domain";
import { commandServiceClient } from "../../src/upstream/command-client.ts";
import { makeHarness, nos } from "./harness.ts";

export interface RecordedCall {
  readonly url: string | undefined;
  readonly headers: http.IncomingHttpHeaders;
  /** A batch call's items; empty for a single-order call. */
  readonly items: Array<Record<string, unknown>>;
}

export interface RecordingUpstream {
  readonly calls: RecordedCall[];
  readonly baseUrl: string;
  close(): void;
}

export async function recordingUpstream(): Promise<RecordingUpstream> {
  const calls: RecordedCall[] = [];
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      calls.push({
        url: req.url,
        headers: req.headers,
        items:
          req.url === "/orders/batch"
            ? (JSON.parse(body) as { items: Array<Record<string, unknown>> }).items
            : [],
      });
      res.writeHead(503, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { code: "STORE_UNAVAILABLE", message: "x" } }));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    calls,
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

/**
 * One signed NewOrderSingle through a gateway whose command-service is
 * `upstream` (in a batch call when batchMax > 0, else on its own call); the
 * HTTP status the trader got.
 */
export async function placeOneThrough(
  upstream: RecordingUpstream,
  batchMax: number,
  clOrdId: string,
): Promise<number> {
  const h = await makeHarness({
    orderEntry: commandServiceClient({
      baseUrl: upstream.baseUrl,
      catalog: REFERENCE_CATALOG,
      batchMax,
    }),
  });
  try {
    const k = h.addKey({ accounts: ["ACC1"], roles: ["trader"] });
    return (await h.signed(k, "POST", "/v1/fix", nos({ ClOrdID: clOrdId }))).statusCode;
  } finally {
    await h.app.close();
  }
}
