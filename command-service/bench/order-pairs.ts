// The pairs and limit prices of the command-service bench's orders (one per
// reference pair, prices near a plausible mid), shared by the in-process
// scenarios and the HTTP load generator so both send the same orders.
export const PAIRS: readonly [string, string][] = [
  ["EURUSD", "1.10000"],
  ["GBPUSD", "1.25000"],
  ["USDJPY", "150.000"],
  ["USDCHF", "0.90000"],
  ["AUDUSD", "0.65000"],
  ["USDCAD", "1.35000"],
  ["NZDUSD", "0.60000"],
  ["EURJPY", "160.000"],
];
