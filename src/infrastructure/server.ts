import "dotenv/config";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { ConfigError, loadConfig } from "./config.js";
import { buildContext } from "./container.js";
import { createLogger } from "./logger.js";

const SHUTDOWN_GRACE_MS = 10_000;
/** After the grace period, how long closing the database and Redis may take. */
const CLOSE_TIMEOUT_MS = 5_000;

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
  // A stop requested while connecting to PostgreSQL and Redis is honoured once they are open,
  // so they are closed properly instead of the process being killed half-started.
  let stopRequested: string | null = null;
  const early = (signal: string) => () => (stopRequested = signal);
  const earlyTerm = early("SIGTERM");
  const earlyInt = early("SIGINT");
  process.once("SIGTERM", earlyTerm);
  process.once("SIGINT", earlyInt);
  const ctx = await buildContext(config, { logger });
  logger.info({ database: ctx.kinds.database, sessions: ctx.kinds.sessions, mail: ctx.kinds.mail, dataDir: config.dataDir }, "adapters");

  const server: Server = ctx.app.listen(config.port, () => {
    // The bound port, which differs from config.port when PORT=0 asks for any free one.
    const port = (server.address() as AddressInfo).port;
    logger.info({ port, env: config.nodeEnv }, `hybrid-auth listening on http://localhost:${port}`);
  });
  server.keepAliveTimeout = 65_000;

  /**
   * Stop accepting (the listening socket closes at once), let in-flight requests finish, close
   * kept-alive connections as soon as they fall idle (their last response says Connection: close,
   * so clients do not race a reuse), then close PostgreSQL and Redis and exit 0. Requests still
   * running after SHUTDOWN_GRACE_MS are cut; a close that hangs ends the process with 1.
   */
  const shutdown = (signal: string) => {
    if (ctx.app.draining) return;
    // Answers still being worked out, and any on connections already open, say Connection: close
    // (the app's edge layer), so clients do not race a reuse of a socket about to close.
    ctx.app.draining = true;
    logger.info({ signal }, "shutting down: no new connections, finishing in-flight requests");
    const sweep = setInterval(() => server.closeIdleConnections(), 50);
    const force = setTimeout(() => {
      logger.warn({}, "in-flight requests did not finish in time; closing anyway");
      server.closeAllConnections();
    }, SHUTDOWN_GRACE_MS);
    const hardStop = setTimeout(() => {
      logger.error({}, "shutdown did not complete; exiting");
      process.exit(1);
    }, SHUTDOWN_GRACE_MS + CLOSE_TIMEOUT_MS);
    for (const timer of [sweep, force, hardStop]) timer.unref();
    server.close(async () => {
      clearInterval(sweep);
      clearTimeout(force);
      await ctx.close();
      logger.info({}, "stopped");
      // Everything is closed, so the event loop should now empty by itself; if a handle still
      // holds it, name it (a leak to fix) and leave anyway.
      setTimeout(() => {
        logger.warn({ resources: process.getActiveResourcesInfo() }, "handles still open after close; exiting");
        process.exit(0);
      }, 1000).unref();
    });
    server.closeIdleConnections();
  };
  process.off("SIGTERM", earlyTerm);
  process.off("SIGINT", earlyInt);
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));
  server.once("listening", () => {
    if (stopRequested) shutdown(stopRequested);
  });
}

main().catch((err: unknown) => {
  console.error("start-up failed:", err instanceof Error ? err.message : err);
  process.exit(1);
});
