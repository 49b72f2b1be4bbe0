// A service process in miniature for service-runtime.test.ts: it releases its
// resources on a signal, printing each step so the test can see the order.
import { startServiceRuntime, stopOnSignals } from "../../src/service/service-runtime.ts";

const runtime = startServiceRuntime("test-service", {
  LOG_LEVEL: "silent",
  FXCORE_REGION: "local",
});
const fail = process.env.RELEASE_FAILS === "1";
let releases = 0;
stopOnSignals(runtime, async (reason) => {
  releases += 1;
  process.stdout.write(`release ${releases} ${reason}\n`);
  // A second signal while this is under way must not release twice.
  await new Promise((resolve) => setTimeout(resolve, 200));
  if (fail) throw new Error("pool would not close");
  process.stdout.write("released\n");
});
const keepAlive = setInterval(() => {}, 1_000);
void keepAlive;
process.stdout.write("ready\n");
