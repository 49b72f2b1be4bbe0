// Adapter from the serde to the infra consumer loop: a record that is not a
// valid envelope becomes a rejection whose reason (`KIND: detail`) lands in
// the DLQ's reason header.

import type { ConsumedRecord, DecodeResult } from "@fxcore/infra";
import type { Envelope } from "../envelope/envelope.ts";
import { describeDecodeError } from "./decode-error.ts";
import type { Serde } from "./serde.ts";

export const decodeRecordWith =
  (serde: Serde) =>
  async (record: ConsumedRecord): Promise<DecodeResult<Envelope>> => {
    const r = await serde.decode(record.value);
    return r.ok ? r : { ok: false, reason: describeDecodeError(r.error) };
  };
