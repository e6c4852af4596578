export * from "./users.table.js";
export * from "./user-identities.table.js";
export * from "./audit-log.table.js";
