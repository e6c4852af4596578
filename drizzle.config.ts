import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "postgresql",
  schema: "./src/adapters/persistence/drizzle/schema/index.ts",
  out: "./drizzle",
});
