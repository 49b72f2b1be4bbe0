import { afterEach, describe, expect, it } from "vitest";
import { createKafka } from "../../src/kafka/client.ts";

// kafkajs's negative setTimeout delays must not reach a service's stderr, and
// no other warning may be swallowed with them.
describe("createKafka and Node's warnings", () => {
  const installed: Array<(w: Error) => void> = [];
  afterEach(() => {
    for (const l of installed.splice(0)) process.removeListener("warning", l);
  });

  function emitted(name: string): Promise<void> {
    const warning = new Error(`${name} from the test`);
    warning.name = name;
    process.emitWarning(warning);
    // 'warning' events are delivered on the next tick.
    return new Promise((resolve) => setImmediate(resolve));
  }

  it("drops TimeoutNegativeWarning and forwards every other warning to the listeners there were", async () => {
    const seen: string[] = [];
    // Listeners that exist before the client is created (Node's printer is one).
    const before = (w: Error) => seen.push(w.name);
    installed.push(before);
    process.removeAllListeners("warning");
    process.on("warning", before);

    createKafka({ brokers: "127.0.0.1:1", clientId: "timer-warning-test" });
    createKafka({ brokers: "127.0.0.1:1", clientId: "timer-warning-test-2" });

    await emitted("TimeoutNegativeWarning");
    await emitted("DeprecationWarning");
    await emitted("TimeoutNegativeWarning");
    await emitted("ExperimentalWarning");

    expect(seen).toEqual(["DeprecationWarning", "ExperimentalWarning"]);
    // Creating a second client does not stack a second filter.
    expect(process.listeners("warning")).toHaveLength(1);
    installed.push(...(process.listeners("warning") as Array<(w: Error) => void>));
  });
});
