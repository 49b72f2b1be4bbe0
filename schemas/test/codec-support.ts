import { writerType } from "../src/catalog/avro-types.ts";
import { loadCatalog } from "../src/catalog/catalog.ts";
import type { Envelope } from "../src/envelope/envelope.ts";
import { planRead, readBody } from "../src/serde/avro-body.ts";
import { compileEnvelopeCodec, createSink } from "../src/serde/fast-avro.ts";

// What the compiled codec's tests (here and the matcher's) compare: the
// codec against the avsc path of the serde, on the reference catalog.

export const catalog = loadCatalog();

export const codecOf = (type: string) =>
  compileEnvelopeCodec(catalog.current(type)!, catalog.codec(type)!);

const plans = new Map(
  catalog.names.map((n) => {
    const plan = planRead(catalog, writerType(catalog.current(n)!.schema));
    if (!plan.ok) throw new Error(n);
    return [n, plan.value];
  }),
);

/** The serde's reading of a body written with the type's current schema. */
export const serdeRead = (type: string, body: Buffer) => readBody(body, plans.get(type)!);

/** The compiled codec's bytes, or undefined when it declines. */
export function fastBytes(e: Envelope): Buffer | undefined {
  const sink = createSink(16); // tiny: every write grows it
  return codecOf(e.payload.type).write(sink, e)
    ? Buffer.from(sink.buf.subarray(0, sink.pos))
    : undefined;
}
