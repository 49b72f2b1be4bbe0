// The raw front as a general piece (ADR 067, ADR 136): it answers its one
// route with the headers its owner names, and hands every other request, with
// the connection, to node:http. The gateway's and command-service's suites
// test it behind their routes; this is the route and header options alone.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import {
  attachRawFront,
  type RawFrontAnswer,
  type RawFrontRequest,
} from "../../src/http/raw-front.ts";

const servers: http.Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    s.close();
  }
});

const start = async (
  answer: (r: RawFrontRequest) => RawFrontAnswer = (r) => ({
    status: 200,
    headers: { "content-type": "text/plain" },
    body: `front ${r.body}`,
  }),
) => {
  const seen: RawFrontRequest[] = [];
  const server = http.createServer((req, res) => {
    req.resume();
    req.on("end", () => res.end(`node ${req.method} ${req.url}`));
  });
  servers.push(server);
  const front = attachRawFront(server, {
    route: "POST /echo",
    headers: ["x-a"],
    accepts: (_h, length) => length <= 100,
    handle: (r) => {
      seen.push(r);
      return answer(r);
    },
    closing: () => false,
    requestTimeoutMs: 5_000,
    keepAliveMs: 5_000,
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { port: (server.address() as AddressInfo).port, front, seen };
};

/** One request on a fresh keep-alive connection; header names sent as spelled. */
const send = (
  port: number,
  method: string,
  path: string,
  headers: Record<string, string | string[]>,
  body = "",
) =>
  new Promise<string>((resolve, reject) => {
    const agent = new http.Agent({ keepAlive: true });
    const req = http.request(
      {
        host: "127.0.0.1",
        port,
        method,
        path,
        agent,
        headers,
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (text += c));
        res.on("end", () => {
          agent.destroy();
          resolve(text);
        });
      },
    );
    req.on("error", reject);
    req.end(body);
  });

describe("raw front: its route and headers", () => {
  it("answers its route itself, reading the named headers whatever their case", async () => {
    const { port, front, seen } = await start();
    expect(await send(port, "POST", "/echo", { "X-A": "one", "X-Other": "skipped" }, "hi")).toBe(
      "front hi",
    );
    expect(seen).toHaveLength(1);
    expect(seen[0]!.headers["x-a"]).toBe("one");
    expect(seen[0]!.headers["x-other"]).toBeUndefined();
    expect(seen[0]!.headers["content-length"]).toBe("2");
    expect(front.stats).toMatchObject({ answered: 1, handedOff: 0 });
  });

  it("writes the answer's status, its headers and a UTF-8 body that node's client reads back", async () => {
    const { port } = await start((r) => ({
      status: 201,
      headers: { "content-type": "text/plain; charset=utf-8", "x-b": `got ${r.body.length}` },
      body: `é€ ${r.body} 💱`,
    }));
    const res = await new Promise<{
      status: number;
      headers: http.IncomingHttpHeaders;
      body: Buffer;
    }>((resolve, reject) => {
      const agent = new http.Agent({ keepAlive: true });
      const req = http.request(
        { host: "127.0.0.1", port, method: "POST", path: "/echo", agent },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => {
            agent.destroy();
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              body: Buffer.concat(chunks),
            });
          });
        },
      );
      req.on("error", reject);
      req.end("hi");
    });
    expect(res.status).toBe(201);
    expect(res.headers["content-type"]).toBe("text/plain; charset=utf-8");
    expect(res.headers["x-b"]).toBe("got 2");
    expect(res.headers.connection).toBe("keep-alive");
    expect(res.headers.date).toBe(new Date(Date.parse(res.headers.date ?? "")).toUTCString());
    // Bytes, not characters: 2 + 3 + 1 + 2 + 1 + 4.
    expect(res.headers["content-length"]).toBe("13");
    expect(res.body.toString("utf8")).toBe("é€ hi 💱");
  });

  it("hands other routes, repeated named headers and refused heads to node:http", async () => {
    const { port, front, seen } = await start();
    expect(await send(port, "POST", "/other", {}, "hi")).toBe("node POST /other");
    expect(await send(port, "GET", "/echo", {})).toBe("node GET /echo");
    expect(await send(port, "POST", "/echo", { "x-a": ["1", "2"] }, "hi")).toBe("node POST /echo");
    expect(await send(port, "POST", "/echo", {}, "x".repeat(101))).toBe("node POST /echo");
    expect(seen).toHaveLength(0);
    expect(front.stats).toMatchObject({ answered: 0, handedOff: 4 });
  });

  it("refuses a route that is not one request line, and header names it handles itself", () => {
    const server = http.createServer();
    const base = {
      accepts: () => true,
      handle: () => ({ status: 200, headers: {}, body: "" }),
      closing: () => false,
      requestTimeoutMs: 1_000,
      keepAliveMs: 1_000,
    };
    expect(() => attachRawFront(server, { ...base, route: "POST /a b" })).toThrow(/bad route/);
    expect(() => attachRawFront(server, { ...base, route: "post /a" })).toThrow(/bad route/);
    expect(() => attachRawFront(server, { ...base, route: "POST /a", headers: ["X-A"] })).toThrow(
      /lowercase/,
    );
    expect(() =>
      attachRawFront(server, { ...base, route: "POST /a", headers: ["transfer-encoding"] }),
    ).toThrow(/lowercase/);
  });
});
