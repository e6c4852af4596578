import type { Logger } from "../application/ports/logger.port.js";
import type { Mailer } from "../application/ports/mailer.port.js";
import type { Clock, PasswordHasher, SecureRandom } from "../application/ports/security.port.js";

export type DatabaseKind = "memory" | "pglite" | "postgres";
export type StoreKind = "memory" | "redis";
export type MailKind = "memory" | "outbox" | "smtp";

export interface BuildOptions {
  /** Default: postgres when DATABASE_URL is set, else pglite in DATA_DIR. */
  database?: DatabaseKind;
  /** Default: redis when REDIS_URL is set, else memory. */
  sessions?: StoreKind;
  /** Default: smtp when SMTP_URL is set, else outbox in DATA_DIR/outbox. */
  mail?: MailKind;
  /** PGlite data directory; null keeps the embedded database in memory. */
  pgliteDir?: string | null;
  /** Prefix for every Redis key, so test runs and tenants can share one Redis. */
  redisPrefix?: string;
  logger?: Logger;
  clock?: Clock;
  random?: SecureRandom;
  passwordHasher?: PasswordHasher;
  mailer?: Mailer;
  /** Path prefix the app is mounted under (koa-mount, a stripping proxy); default: config BASE_PATH. */
  basePath?: string;
  /** Skip applying migrations (the CLI's migrate command applies them on purpose). */
  skipMigrations?: boolean;
  /** Values registered under these tokens replace what the composition root would build. */
  overrides?: Map<symbol, unknown>;
}

