// Compile-time proof that the schemas and the domain types agree: each
// generated record type (from the .avsc) must EQUAL the domain type with
// brands stripped and `type` removed (the record name carries it). A field
// added on either side without the other breaks `npm run typecheck` here,
// naming the payload type that drifted.

import type { Brand } from "@fxcore/domain";
import type { EnvelopeMeta, PayloadOf, PayloadType } from "./envelope/envelope.ts";
import type { EnvelopeMetaRecord, PayloadRecords } from "./generated/records.ts";

type Equals<A, B> =
  (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

type Unbrand<V> =
  V extends Brand<number, string>
    ? number
    : V extends Brand<bigint, string>
      ? bigint
      : V extends Brand<string, string>
        ? string
        : V;

/** The domain type as the wire sees it. */
type Wire<T> = { readonly [K in keyof T as K extends "type" ? never : K]: Unbrand<T[K]> };

type InStep = { readonly [K in PayloadType]: Equals<Wire<PayloadOf<K>>, PayloadRecords[K]> };

export const payloadTypesInStep: Equals<keyof PayloadRecords, PayloadType> = true;
export const metaInStep: Equals<Wire<EnvelopeMeta>, EnvelopeMetaRecord> = true;
export const payloadsInStep: InStep = {
  OrderAccepted: true,
  OrderRejected: true,
  OrderCancelRequested: true,
  OrderReplaceRequested: true,
  TimeAdvanced: true,
  TradeExecuted: true,
  OrderCancelled: true,
  OrderExpired: true,
  OrderReplaced: true,
  CancelRejected: true,
  ReplaceRejected: true,
  PlaceOrder: true,
  CancelOrder: true,
  ReplaceOrder: true,
};
