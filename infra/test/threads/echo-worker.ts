// A job thread for the tests: doubles a number, fails on a negative one,
// exits the thread on "exit", and answers slowly on "slow".
import { serveJobs } from "../../src/threads/job-thread.ts";

serveJobs(
  async (job: number | "exit" | "slow"): Promise<Uint8Array<ArrayBuffer>> => {
    if (job === "exit") process.exit(3);
    if (job === "slow") await new Promise((r) => setTimeout(r, 50));
    if (typeof job === "number" && job < 0) throw new RangeError(`negative: ${job}`);
    return Uint8Array.of(typeof job === "number" ? job * 2 : 0);
  },
  (bytes) => [bytes.buffer],
);
