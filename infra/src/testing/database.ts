import { createScratchDatabase, type ScratchDatabase } from "../postgres/scratch-database.ts";
import { infraSettings, uniqueSuffix } from "./settings.ts";

// A fresh Postgres database per suite, dropped afterwards.

export type TestDatabase = ScratchDatabase;

export function createTestDatabase(prefix = "test"): Promise<TestDatabase> {
  return createScratchDatabase(infraSettings().DATABASE_URL, `${prefix}_${uniqueSuffix()}`);
}
