// Public API of @fxcore/query-api: the app factory (tests, embedding) and the caller-identity headers.
export { ACCOUNTS_HEADER, KEY_ID_HEADER, ROLES_HEADER } from "./auth/caller.ts";
export { type AppOptions, buildApp, MIN_POSITION_HEADER } from "./http/app.ts";
export { startNotificationHub } from "./live/hub.ts";
