export * from "./catalog/catalog.ts";
