// Entry point: `./fx replay <command> …` / `npm run replay -- <command> …`.
import { runCli } from "./cli/run.ts";
import { createReplayContext } from "./context.ts";

const code = await runCli(process.argv.slice(2), {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  context: () => createReplayContext(),
});
process.exitCode = code;
