import "dotenv/config";
import type { Server } from "node:http";
import { ConfigError, loadConfig } from "./config.js";
import { buildContext } from "./container.js";
import { createLogger } from "./logger.js";

const SHUTDOWN_GRACE_MS = 10_000;

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
  const logger = createLogger(config.logLevel);
  const ctx = await buildContext(config, { logger });
  logger.info({ database: ctx.kinds.database, sessions: ctx.kinds.sessions, mail: ctx.kinds.mail, dataDir: config.dataDir }, "adapters");

  const server: Server = ctx.app.listen(config.port, () => {
    logger.info({ port: config.port, env: config.nodeEnv }, `hybrid-auth listening on http://localhost:${config.port}`);
  });
  server.keepAliveTimeout = 65_000;

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down: no new connections, finishing in-flight requests");
    const force = setTimeout(() => {
      logger.warn({}, "in-flight requests did not finish in time; closing anyway");
      server.closeAllConnections();
    }, SHUTDOWN_GRACE_MS);
    force.unref();
    server.close(async () => {
      await ctx.close();
      logger.info({}, "stopped");
      process.exit(0);
    });
    server.closeIdleConnections();
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));
}

main().catch((err: unknown) => {
  console.error("start-up failed:", err instanceof Error ? err.message : err);
  process.exit(1);
});
