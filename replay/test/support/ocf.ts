// An export file's bytes for a list of envelopes, as the export writes one:
// every envelope a record of one stream at the next global position.
import type { Envelope, SchemaCatalog } from "@fxcore/schemas";
import { avroRecord } from "../../src/export/export.ts";
import { exportSchema, OcfWriter } from "../../src/index.ts";

export async function ocfBytes(
  catalog: SchemaCatalog,
  envelopes: readonly Envelope[],
  codec: "null" | "deflate",
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const w = new OcfWriter(exportSchema(catalog), async (c) => void chunks.push(c), 4096, codec);
  let position = 0n;
  for (const env of envelopes) {
    position++;
    await w.write(
      avroRecord(
        {
          stored: {
            globalPosition: position,
            streamId: "s",
            streamVersion: 0n,
            eventId: env.meta.eventId,
            eventType: env.payload.type,
            schemaId: 1,
            payload: Buffer.alloc(0),
            recordedAt: new Date(0),
          },
          meta: env.meta,
          event: env.payload as never,
        },
        catalog,
      ),
    );
  }
  await w.flush();
  return Buffer.concat(chunks);
}
