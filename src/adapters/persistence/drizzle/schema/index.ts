export * from "./users.table.js";
