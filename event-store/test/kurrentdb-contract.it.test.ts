// Runs only against a real KurrentDB/EventStoreDB: set EVENTSTORE_URL
// (e.g. kurrentdb://127.0.0.1:2113?tls=false). None can run on this machine.
import { KurrentDBClient } from "@kurrent/kurrentdb-client";
import { describe, it } from "vitest";
import { KurrentDbEventStore } from "../src/index.ts";
import { eventStoreContract } from "../src/testing/contract.ts";

const url = process.env.EVENTSTORE_URL;
if (url === undefined || url === "") {
  describe.skip("EventStore contract: KurrentDB (EVENTSTORE_URL not set)", () => {
    it("needs a KurrentDB server", () => {});
  });
} else {
  eventStoreContract("KurrentDB", async () => {
    const store = new KurrentDbEventStore(KurrentDBClient.connectionString(url));
    return { store, dispose: () => store.close() };
  });
}
