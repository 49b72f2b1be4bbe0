export * from "./fields.ts";
export * from "./json.ts";
export * from "./message.ts";
export * from "./messages.ts";
export * from "./rejects.ts";
export * from "./tag-value.ts";
export * from "./timestamp.ts";
export * from "./validate.ts";
