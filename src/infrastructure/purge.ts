import "dotenv/config";
import { ConfigError, loadConfig } from "./config.js";
import { buildContext } from "./container.js";
import { runPurge } from "./features/account.feature.js";
import { createLogger } from "./logger.js";

/** `npm run purge`: erases the soft-deleted accounts whose retention window has closed, once, and exits. */
async function main(): Promise<number> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const ctx = await buildContext(config, { logger });
  try {
    const out = await runPurge(ctx.container);
    logger.info({ ...out }, "purge finished");
    return out.failed > 0 ? 1 : 0;
  } finally {
    await ctx.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof ConfigError ? err.message : `purge failed: ${err instanceof Error ? err.message : err}`);
    process.exit(1);
  },
);
