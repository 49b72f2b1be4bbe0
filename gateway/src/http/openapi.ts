// The OpenAPI 3 document of the gateway, written by hand: bodies are parsed by
// the FIX codecs, not by route schemas, so this is the contract clients and
// the schemathesis fuzz read. Served at /openapi.json, browsable at /docs.
// The request schemas are generated from the data dictionary, so they cannot
// drift from what the validator enforces (conditional rules, e.g. Price for a
// limit order, are beyond OpenAPI 3.0 and stay in the descriptions).

import { FIELD_BY_TAG, type FieldType } from "../fix/fields.ts";
import { MESSAGES } from "../fix/messages.ts";

const PATTERNS: Readonly<Record<FieldType, string>> = {
  STRING: "^[^\\x00-\\x1f\\x7f]{1,256}$",
  CHAR: "^.$",
  INT: "^-?[0-9]{1,9}$",
  SEQNUM: "^[0-9]{1,9}$",
  LENGTH: "^[0-9]{1,9}$",
  QTY: "^[0-9]{1,12}(\\.[0-9]{1,6})?$",
  PRICE: "^[0-9]{1,6}(\\.[0-9]{1,6})?$",
  UTCTIMESTAMP:
    "^20[2-9][0-9](0[1-9]|1[0-2])(0[1-9]|1[0-9]|2[0-8])-([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]{3})?$",
  BOOLEAN: "^[YN]$",
  CURRENCY: "^[A-Z]{3}$",
  MULTIPLECHARVALUE: "^[!-~]( [!-~])*$",
};
const ID_PATTERN = "^[!-~]{1,64}$";
const ID_TAGS = new Set([1, 11, 37, 41, 790]);

const fieldSchema = (tag: number) => {
  const d = FIELD_BY_TAG.get(tag)!;
  if (d.values)
    return { type: "string", enum: Object.keys(d.values), description: `${d.tag} ${d.name}` };
  return {
    type: "string",
    pattern: ID_TAGS.has(tag) ? ID_PATTERN : PATTERNS[d.type],
    description: `${d.tag} ${d.name}`,
  };
};

/** One schema per inbound message (flat FIX JSON), straight from the dictionary. */
const inboundSchemas = Object.fromEntries(
  MESSAGES.filter((m) => m.direction === "in").map((m) => [
    m.name,
    {
      type: "object",
      additionalProperties: false,
      required: ["MsgType", ...m.required.map((t) => FIELD_BY_TAG.get(t)!.name)],
      properties: {
        MsgType: { type: "string", enum: [m.msgType] },
        ...Object.fromEntries(
          [...m.required, ...m.optional].map((t) => [FIELD_BY_TAG.get(t)!.name, fieldSchema(t)]),
        ),
      },
      ...(m.conditional.length === 0
        ? {}
        : {
            description: `Also required: ${m.conditional.map((c) => `${FIELD_BY_TAG.get(c.tag)!.name} when ${FIELD_BY_TAG.get(c.when)!.name} is ${c.in.join("/")}`).join("; ")} (else 422, 35=j 380=5).`,
          }),
    },
  ]),
);

const fixJson = { $ref: "#/components/schemas/FixJsonMessage" };
const errorBody = { $ref: "#/components/schemas/ErrorBody" };
const json = (schema: unknown) => ({ "application/json": { schema } });
const errorResponse = (description: string) => ({ description, content: json(errorBody) });
/** Order entry answers a tag=value request with the FIX reject itself. */
const fixErrorResponse = (description: string) => ({
  description,
  content: { ...json(errorBody), "application/fix": { schema: { type: "string" } } },
});
const rateHeaders = {
  "RateLimit-Limit": { schema: { type: "integer" }, description: "bucket size (burst)" },
  "RateLimit-Remaining": { schema: { type: "integer" } },
  "RateLimit-Reset": {
    schema: { type: "integer" },
    description: "seconds until the bucket is full",
  },
};
const signed = [{ FxKey: [], FxTimestamp: [], FxSignature: [] }];
const authErrors = {
  "401": errorResponse(
    "MISSING_CREDENTIALS, UNKNOWN_KEY, BAD_SIGNATURE, REPLAYED_SIGNATURE, or CLOCK_SKEW (with error.serverTime)",
  ),
  "403": errorResponse("NOT_AUTHORIZED (BusinessMessageReject 380=6 in error.fix)"),
  "503": errorResponse(
    "AUTH_UNAVAILABLE (key store down) or REPLAY_CACHE_FULL: nothing done, retry",
  ),
  "429": {
    description: "RATE_LIMITED (BusinessMessageReject 380=8), with Retry-After",
    headers: { "Retry-After": { schema: { type: "integer" } }, ...rateHeaders },
    content: json(errorBody),
  },
};

export const openApiDocument = {
  openapi: "3.0.3",
  info: {
    title: "fxcore gateway",
    version: "0.1.0",
    description:
      'FIX-like order entry over HTTP. Send FIX messages as FIX JSON (application/json: FIX Repository field names, every value a string, e.g. {"MsgType":"D","Side":"1"}) or as classic tag=value text (application/fix, SOH or | delimited). Requests under /v1 except /v1/time are signed: HMAC-SHA256 over `timestamp\\nMETHOD\\npath?query\\nhex(sha256(body))`.',
  },
  servers: [{ url: "http://127.0.0.1:8080" }],
  components: {
    securitySchemes: {
      FxKey: { type: "apiKey", in: "header", name: "FX-Key", description: "API key id" },
      FxTimestamp: {
        type: "apiKey",
        in: "header",
        name: "FX-Timestamp",
        description: "ms since the epoch, within ±5 s",
      },
      FxSignature: {
        type: "apiKey",
        in: "header",
        name: "FX-Signature",
        description: "hex HMAC-SHA256",
      },
    },
    schemas: {
      ...inboundSchemas,
      FixJsonMessage: {
        type: "object",
        description:
          "A FIX message in FIX JSON encoding (flat), or with Header/Body/Trailer objects.",
        required: ["MsgType"],
        additionalProperties: { type: "string" },
        example: {
          MsgType: "D",
          ClOrdID: "ord-1",
          Account: "ACC1",
          Symbol: "EURUSD",
          Side: "1",
          TransactTime: "20260101-10:00:00.000",
          OrderQty: "1000000",
          OrdType: "2",
          Price: "1.10000",
          TimeInForce: "0",
        },
      },
      ErrorBody: {
        type: "object",
        required: ["error"],
        properties: {
          error: {
            type: "object",
            required: ["code", "message"],
            properties: {
              code: {
                type: "string",
                description: "stable machine-readable code, also in the FX-Error-Code header",
              },
              message: { type: "string" },
              fix: {
                ...fixJson,
                description: "the FIX answer (3, j, 8 or 9), when the request was FIX",
              },
              serverTime: { type: "integer", description: "CLOCK_SKEW only: server time in ms" },
              retryAfter: { type: "integer", description: "RATE_LIMITED only" },
            },
          },
        },
      },
      ExecutionPage: {
        type: "object",
        properties: {
          account: { type: "string" },
          executions: {
            type: "array",
            items: { type: "object", properties: { seq: { type: "integer" }, report: fixJson } },
          },
          last: { type: "integer" },
        },
      },
    },
  },
  paths: {
    "/v1/fix": {
      post: {
        summary:
          "Send a FIX message: NewOrderSingle (D), OrderCancelRequest (F), OrderCancelReplaceRequest (G), OrderStatusRequest (H)",
        security: signed,
        requestBody: {
          required: true,
          content: {
            "application/json": {
              schema: {
                oneOf: Object.keys(inboundSchemas).map((n) => ({
                  $ref: `#/components/schemas/${n}`,
                })),
              },
            },
            "application/fix": {
              schema: {
                type: "string",
                example:
                  "35=D|11=ord-1|1=ACC1|55=EURUSD|54=1|60=20260101-10:00:00|38=1000000|40=2|44=1.10000|",
              },
            },
          },
        },
        responses: {
          "200": {
            description:
              "ExecutionReport (35=8): New, PendingCancel/PendingReplace, or OrderStatus",
            headers: { "FX-Position": { schema: { type: "string" } }, ...rateHeaders },
            content: {
              "application/json": { schema: fixJson },
              "application/fix": { schema: { type: "string" } },
            },
          },
          "400": fixErrorResponse(
            "Reject (35=3, 373/371/58) or unsupported message type (35=j 380=3)",
          ),
          ...authErrors,
          "403": fixErrorResponse("NOT_AUTHORIZED (BusinessMessageReject 380=6)"),
          "429": { ...authErrors["429"], content: fixErrorResponse("").content },
          "404": fixErrorResponse(
            "UNKNOWN_ORDER: OrderCancelReject 102=1 or BusinessMessageReject 380=1",
          ),
          "409": fixErrorResponse("CANCEL_REJECTED: OrderCancelReject (35=9)"),
          "413": fixErrorResponse("PAYLOAD_TOO_LARGE"),
          "415": fixErrorResponse("UNSUPPORTED_MEDIA_TYPE"),
          "422": fixErrorResponse(
            "ORDER_REJECTED (ExecutionReport 150=8 with 103), CONDITIONALLY_REQUIRED_FIELD_MISSING (35=j 380=5), BUSINESS_REJECT (35=j 380=0)",
          ),
          "503": fixErrorResponse(
            "APPLICATION_NOT_AVAILABLE (35=j 380=4): not applied, safe to resend",
          ),
          "504": fixErrorResponse(
            "OUTCOME_UNKNOWN: may have been applied; resend the same ClOrdID or GET it",
          ),
        },
      },
    },
    "/v1/orders/{clOrdId}": {
      get: {
        summary: "Recover an order's latest state by ClOrdID (ExecutionReport 150=I)",
        security: signed,
        parameters: [
          { name: "clOrdId", in: "path", required: true, schema: { type: "string" } },
          { name: "account", in: "query", required: false, schema: { type: "string" } },
        ],
        responses: {
          "200": { description: "ExecutionReport", content: json(fixJson) },
          "404": errorResponse("UNKNOWN_ORDER"),
          ...authErrors,
        },
      },
    },
    "/v1/executions": {
      get: {
        summary: "Execution reports of one account after a sequence number (gap fill)",
        security: signed,
        parameters: [
          { name: "account", in: "query", required: false, schema: { type: "string" } },
          { name: "after", in: "query", required: false, schema: { type: "integer", minimum: 0 } },
          {
            name: "limit",
            in: "query",
            required: false,
            schema: { type: "integer", minimum: 1, maximum: 1000 },
          },
        ],
        responses: {
          "200": {
            description: "a page",
            content: json({ $ref: "#/components/schemas/ExecutionPage" }),
          },
          "400": errorResponse("BAD_REQUEST or ACCOUNT_REQUIRED"),
          ...authErrors,
          "503": errorResponse("read side not configured, AUTH_UNAVAILABLE or REPLAY_CACHE_FULL"),
        },
      },
    },
    "/v1/executions/stream": {
      get: {
        summary:
          "Server-Sent Events of the caller's execution reports, resumable with Last-Event-ID",
        security: signed,
        parameters: [
          { name: "account", in: "query", required: false, schema: { type: "string" } },
          {
            name: "cursor",
            in: "query",
            required: false,
            schema: { type: "string", example: "ACC1:15" },
          },
          { name: "Last-Event-ID", in: "header", required: false, schema: { type: "string" } },
        ],
        responses: {
          "200": {
            description: "event: executionReport, data: FIX JSON, id: cursor",
            content: { "text/event-stream": { schema: { type: "string" } } },
          },
          "400": errorResponse("BAD_CURSOR or ACCOUNT_REQUIRED"),
          ...authErrors,
          "429": errorResponse("RATE_LIMITED, or TOO_MANY_STREAMS open for this key"),
        },
      },
    },
    "/v1/time": {
      get: {
        summary: "Server time, to sign with",
        responses: {
          "200": {
            description: "time",
            content: json({
              type: "object",
              properties: {
                serverTime: { type: "integer" },
                iso: { type: "string" },
                fix: { type: "string" },
              },
            }),
          },
        },
      },
    },
    "/healthz": { get: { summary: "Liveness", responses: { "200": { description: "alive" } } } },
    "/readyz": {
      get: {
        summary: "Readiness",
        responses: { "200": { description: "ready" }, "503": { description: "not ready" } },
      },
    },
  },
} as const;
