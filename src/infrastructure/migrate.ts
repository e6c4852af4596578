import "dotenv/config";
import path from "node:path";
import { openPglite, openPostgres, runMigrations } from "../adapters/persistence/drizzle/database.js";
import { ConfigError, loadConfig } from "./config.js";

/** `npm run db:migrate`: applies the committed Drizzle migrations and exits. */
async function main(): Promise<void> {
  const config = loadConfig();
  const handle = config.databaseUrl ? await openPostgres(config.databaseUrl) : await openPglite(path.join(config.dataDir, "pglite"));
  try {
    await runMigrations(handle);
    console.log(`migrations applied (${handle.kind})`);
  } finally {
    await handle.close();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? err.message : `migration failed: ${err instanceof Error ? err.message : err}`);
  process.exit(1);
});
