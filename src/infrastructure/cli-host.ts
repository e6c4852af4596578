import path from "node:path";
import { readFileSync } from "node:fs";
import type { CliHost } from "../adapters/cli/cli.js";
import type { Config } from "./config.js";
import type { EnvLike } from "./library.js";

const VERSION: string = (() => {
  try {
    return JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")).version as string;
  } catch {
    return "unknown";
  }
})();

function maskedUrl(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = "***";
  return u.toString();
}

/** The adapters the server would pick for this configuration (buildContext's defaults). */
function adaptersFor(config: Config) {
  return {
    database: config.databaseUrl ? "postgres" : "pglite",
    sessions: config.redisUrl || config.redisClusterNodes ? "redis" : "memory",
    mail: config.smtpUrl ? "smtp" : "outbox",
  };
}

/**
 * The CLI's side of the composition root: configuration read exactly as the server reads it
 * (the same variables; the entry point loads ./.env first), the same use cases through
 * openHybridAuth, logs on stderr so stdout stays the command's output.
 *
 * Modules are imported when a command needs them: loading the whole service takes seconds,
 * and `--help` or a usage error should not wait for it.
 */
export function createCliHost(env: EnvLike): CliHost {
  const read = async (persistSecrets: boolean) => (await import("./config.js")).loadConfig({ ...env }, { persistSecrets });
  return {
    version: VERSION,
    async configuration() {
      // Masked anyway; not persisted, so printing the configuration writes nothing.
      const config = await read(false);
      const { describeConfig } = await import("./config.js");
      return { ...describeConfig(config), adapters: adaptersFor(config) };
    },
    async migrate() {
      const config = await read(false);
      const { openPglite, openPostgres, runMigrations } = await import("../adapters/persistence/drizzle/database.js");
      const handle = config.databaseUrl ? await openPostgres(config.databaseUrl) : await openPglite(path.join(config.dataDir, "pglite"));
      try {
        await runMigrations(handle);
      } finally {
        await handle.close();
      }
      return { database: handle.kind, location: config.databaseUrl ? maskedUrl(config.databaseUrl) : path.join(config.dataDir, "pglite") };
    },
    async open({ verbose }) {
      const config = await read(true);
      const [{ openHybridAuth }, { runPurge }, { createLogger }] = await Promise.all([
        import("./library.js"),
        import("./features/account.feature.js"),
        import("./logger.js"),
      ]);
      const logger = createLogger(verbose ? config.logLevel : "error", process.stderr);
      const { auth, context } = await openHybridAuth({ config, adapters: { logger } });
      return {
        useCases: auth.useCases,
        sharedSessionStore: context.kinds.sessions === "redis",
        purge: () => runPurge(context.container),
        close: () => auth.close(),
      };
    },
  };
}
