// Test helpers for workspaces with integration tests ("@fxcore/infra/testing").
export { createTestDatabase, type TestDatabase } from "./database.ts";
export { infraSettings, type InfraSettings, uniqueSuffix } from "./settings.ts";
export { createTestTopics, type TestTopics, testGroupId } from "./topics.ts";
