import "reflect-metadata";
import path from "node:path";
import { readFileSync } from "node:fs";
import type { Middleware } from "koa";
import { container as rootContainer, type DependencyContainer } from "tsyringe";
import type { AttemptCounter } from "../application/ports/attempt-counter.port.js";
import type { HealthIndicator } from "../application/ports/health.port.js";
import type { Logger } from "../application/ports/logger.port.js";
import type { Mailer } from "../application/ports/mailer.port.js";
import type { OneTimeCodeStore } from "../application/ports/one-time-code-store.port.js";
import type { Clock } from "../application/ports/security.port.js";
import type { SessionStore } from "../application/ports/session-store.port.js";
import type { UserRepository } from "../application/ports/user-repository.port.js";
import type { AuthSettings } from "../application/settings.js";
import { TOKENS } from "../application/tokens.js";
import { AuthenticateAccessToken } from "../application/use-cases/authenticate-access-token.use-case.js";
import { createApp, type HybridAuthApp } from "../adapters/http/app.js";
import type { HttpModule, RouteGuards } from "../adapters/http/route-spec.js";
import type { HttpSettings } from "../adapters/http/http-settings.js";
import { APP_VERSION, HTTP_SETTINGS } from "../adapters/http/http-tokens.js";
import { InMemoryAttemptCounter } from "../adapters/attempt-counter/in-memory-attempt.counter.js";
import { RedisAttemptCounter } from "../adapters/attempt-counter/redis-attempt.counter.js";
import { DrizzleAuditLog } from "../adapters/audit/drizzle-audit.log.js";
import { InMemoryAuditLog } from "../adapters/audit/in-memory-audit.log.js";
import { InMemoryMailer } from "../adapters/mail/in-memory.mailer.js";
import { OutboxMailer } from "../adapters/mail/outbox.mailer.js";
import { SmtpMailer } from "../adapters/mail/smtp.mailer.js";
import { InMemoryOneTimeCodeStore } from "../adapters/one-time-code/in-memory-one-time-code.store.js";
import { RedisOneTimeCodeStore } from "../adapters/one-time-code/redis-one-time-code.store.js";
import { openPglite, openPostgres, runMigrations, type DatabaseHandle } from "../adapters/persistence/drizzle/database.js";
import { DrizzleUserRepository } from "../adapters/persistence/drizzle/drizzle-user.repository.js";
import { InMemoryUserRepository } from "../adapters/persistence/in-memory-user.repository.js";
import { CachingUserRepository } from "../adapters/user-cache/caching-user.repository.js";
import { InMemoryUserCacheStamps } from "../adapters/user-cache/in-memory-user-cache.stamps.js";
import { RedisUserCacheStamps } from "../adapters/user-cache/redis-user-cache.stamps.js";
import { connectRedis, connectRedisCluster, type RedisHandle } from "../adapters/redis/redis-client.js";
import { BoundedPasswordHasher } from "../adapters/security/bounded-password.hasher.js";
import { BcryptWorkerThreads } from "../adapters/security/bcrypt-worker.threads.js";
import { BcryptPasswordHasher } from "../adapters/security/bcrypt-password.hasher.js";
import { HmacKeyedHasher } from "../adapters/security/hmac-keyed.hasher.js";
import { JwtAccessTokenIssuer } from "../adapters/security/jwt-access-token.issuer.js";
import { NodeSecureRandom } from "../adapters/security/node-secure.random.js";
import { SystemClock } from "../adapters/security/system.clock.js";
import { InMemorySessionStore } from "../adapters/session-store/in-memory-session.store.js";
import { RedisSessionStore } from "../adapters/session-store/redis-session.store.js";
import type { Config } from "./config.js";
import { createLogger } from "./logger.js";
import { FEATURES, type FeatureContext } from "./features/index.js";
import type { BuildOptions, DatabaseKind, MailKind, StoreKind } from "./build-options.js";
import { REFRESH_ABSOLUTE_TTL_SECONDS, REFRESH_IDLE_TTL_SECONDS } from "../domain/session.js";

export type { BuildOptions, DatabaseKind, MailKind, StoreKind } from "./build-options.js";

export interface AppContext {
  config: Config;
  container: DependencyContainer;
  logger: Logger;
  app: HybridAuthApp;
  users: UserRepository;
  sessions: SessionStore;
  codes: OneTimeCodeStore;
  mailer: Mailer;
  clock: Clock;
  database: DatabaseHandle | null;
  /** A single-server or a cluster client (REDIS_CLUSTER_NODES); null when sessions live in memory. */
  redis: RedisHandle | null;
  kinds: { database: DatabaseKind; sessions: StoreKind; mail: MailKind };
  close(): Promise<void>;
}

/** Deadline for one store call against Redis; leaves headroom under the 2 s 503 budget. */
const REDIS_CALL_DEADLINE_MS = 1500;

const VERSION: string = (() => {
  try {
    return JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")).version as string;
  } catch {
    return "unknown";
  }
})();

/**
 * The composition root: reads the validated config, builds clients and adapters with `new`,
 * registers them under typed tokens, and lets tsyringe wire use cases and controllers.
 * The same function serves production, `npm start` with zero configuration, the CLI and tests.
 */
export async function buildContext(config: Config, options: BuildOptions = {}): Promise<AppContext> {
  const logger: Logger = options.logger ?? createLogger(config.logLevel);
  const clock = options.clock ?? new SystemClock();
  const kinds = {
    database: options.database ?? (config.databaseUrl ? "postgres" : "pglite"),
    sessions: options.sessions ?? (config.redisUrl || config.redisClusterNodes ? "redis" : "memory"),
    mail: options.mail ?? (config.smtpUrl ? "smtp" : "outbox"),
  } as const;
  const closers: Array<() => Promise<void>> = [];
  const close = async () => {
    for (const fn of closers.reverse()) await fn().catch((err: unknown) => logger.warn({ err }, "error while closing"));
  };

  try {
    let database: DatabaseHandle | null = null;
    let users: UserRepository;
    if (kinds.database === "memory") {
      users = new InMemoryUserRepository();
    } else {
      if (kinds.database === "postgres" && !config.databaseUrl) throw new Error("database=postgres needs DATABASE_URL");
      database =
        kinds.database === "postgres"
          ? await openPostgres(config.databaseUrl!)
          : await openPglite(options.pgliteDir === undefined ? path.join(config.dataDir, "pglite") : options.pgliteDir);
      const handle = database;
      closers.push(() => handle.close());
      if (!options.skipMigrations) await runMigrations(database);
      users = new DrizzleUserRepository(database.db);
    }

    let redis: RedisHandle | null = null;
    let sessions: SessionStore;
    let codes: OneTimeCodeStore;
    let attempts: AttemptCounter;
    if (kinds.sessions === "redis") {
      if (!config.redisUrl && !config.redisClusterNodes) throw new Error("sessions=redis needs REDIS_URL or REDIS_CLUSTER_NODES");
      const client: RedisHandle = config.redisClusterNodes
        ? await connectRedisCluster(config.redisClusterNodes, { logger })
        : await connectRedis(config.redisUrl!, { logger });
      redis = client;
      closers.push(async () => {
        await client.close().catch(() => client.destroy());
      });
      const prefix = options.redisPrefix ?? "ha:";
      // A frozen Redis must turn into a 503 well inside the 2 s the contract allows.
      const timeoutMs = REDIS_CALL_DEADLINE_MS;
      sessions = new RedisSessionStore(client, clock, { prefix, timeoutMs });
      codes = new RedisOneTimeCodeStore(client, clock, { prefix, timeoutMs });
      attempts = new RedisAttemptCounter(client, { prefix, timeoutMs, rememberBlocksMs: config.lockoutCacheMs });
    } else {
      logger.warn({}, "REDIS_URL is not set: sessions, codes and counters live in this process only (single instance)");
      sessions = new InMemorySessionStore(clock);
      codes = new InMemoryOneTimeCodeStore(clock);
      attempts = new InMemoryAttemptCounter();
    }

    // Authenticated reads of the user come from memory while the user's stamp is unchanged;
    // the stamps live in Redis when instances share one, so a write on any instance is seen by all.
    if (database && config.userCacheSize > 0) {
      const stamps = redis ? new RedisUserCacheStamps(redis, { prefix: options.redisPrefix ?? "ha:", timeoutMs: REDIS_CALL_DEADLINE_MS }) : new InMemoryUserCacheStamps();
      users = new CachingUserRepository(users, stamps, clock, logger, { maxEntries: config.userCacheSize, maxAgeSeconds: config.userCacheMaxAgeSeconds });
    }

    let mailer: Mailer;
    if (options.mailer) mailer = options.mailer;
    else if (kinds.mail === "smtp") {
      if (!config.smtpUrl) throw new Error("mail=smtp needs SMTP_URL");
      const smtp = new SmtpMailer({ url: config.smtpUrl, from: config.emailFrom, logger });
      closers.push(async () => smtp.close());
      mailer = smtp;
    } else if (kinds.mail === "outbox") mailer = new OutboxMailer({ dir: path.join(config.dataDir, "outbox"), logger });
    else mailer = new InMemoryMailer();

    const c = rootContainer.createChildContainer();
    const authSettings: AuthSettings = {
      appName: config.appName,
      clientUrl: config.clientUrl,
      refreshReuseGraceSeconds: config.refreshReuseGraceSeconds,
      refreshIdleTtlSeconds: REFRESH_IDLE_TTL_SECONDS,
      refreshAbsoluteTtlSeconds: REFRESH_ABSOLUTE_TTL_SECONDS,
    };
    const httpSettings: HttpSettings = {
      nodeEnv: config.nodeEnv,
      corsOrigins: config.corsOrigins,
      trustProxyHops: config.trustProxyHops,
      cookieSecure: config.cookieSecure,
      cookieSameSite: config.cookieSameSite,
      basePath: options.basePath ?? config.basePath,
      jsonLimitBytes: 100 * 1024,
    };
    const health: HealthIndicator[] = [
      { name: "database", required: true, check: () => users.ping() },
      { name: "sessionStore", required: true, check: () => sessions.ping() },
      { name: "mail", required: false, check: () => mailer.ping() },
    ];

    c.register(TOKENS.UserRepository, { useValue: users });
    c.register(TOKENS.SessionStore, { useValue: sessions });
    c.register(TOKENS.OneTimeCodeStore, { useValue: codes });
    c.register(TOKENS.AttemptCounter, { useValue: attempts });
    c.register(TOKENS.AuditLog, { useValue: database ? new DrizzleAuditLog(database.db) : new InMemoryAuditLog() });
    c.register(TOKENS.Mailer, { useValue: mailer });
    let passwordHasher = options.passwordHasher;
    if (!passwordHasher) {
      // bcrypt on threads of its own, below the event loop's priority (HASH_NICE).
      const threads = new BcryptWorkerThreads({ threads: config.hashConcurrency, nice: config.hashNice });
      closers.push(() => threads.close());
      passwordHasher = new BoundedPasswordHasher(new BcryptPasswordHasher(config.bcryptCost, threads), {
        concurrency: config.hashConcurrency,
        maxQueue: config.hashMaxQueue,
      });
    }
    c.register(TOKENS.PasswordHasher, { useValue: passwordHasher });
    c.register(TOKENS.AccessTokenIssuer, {
      useValue: new JwtAccessTokenIssuer({
        secret: config.secrets.jwtAccess,
        issuer: config.jwt.issuer,
        audience: config.jwt.audience,
        ttlSeconds: config.accessTokenTtlSeconds,
      }),
    });
    c.register(TOKENS.KeyedHasher, { useValue: new HmacKeyedHasher(config.secrets.crypto) });
    c.register(TOKENS.RefreshTokenHasher, { useValue: new HmacKeyedHasher(config.secrets.jwtRefresh) });
    c.register(TOKENS.SecureRandom, { useValue: options.random ?? new NodeSecureRandom() });
    c.register(TOKENS.Clock, { useValue: clock });
    c.register(TOKENS.Logger, { useValue: logger });
    c.register(TOKENS.AuthSettings, { useValue: authSettings });
    c.register(TOKENS.HealthIndicators, { useValue: health });
    c.register(HTTP_SETTINGS, { useValue: httpSettings });
    c.register(APP_VERSION, { useValue: VERSION });

    const featureContext: FeatureContext = {
      config,
      container: c,
      logger,
      clock,
      options,
      redis,
      database,
      health,
      onClose: (fn) => closers.push(fn),
      provide: async (token, build) => {
        const value = options.overrides?.get(token) ?? (await build());
        c.register(token, { useValue: value });
        return value as never;
      },
    };
    const modules: HttpModule[] = [];
    const guards: RouteGuards[] = [];
    const bodyGuards: RouteGuards[] = [];
    const before: Middleware[] = [];
    for (const feature of FEATURES) {
      const parts = await feature.install(featureContext);
      if (!parts) continue;
      modules.push(...(parts.modules ?? []));
      if (parts.guards) guards.push(parts.guards);
      if (parts.bodyGuards) bodyGuards.push(parts.bodyGuards);
      before.push(...(parts.before ?? []));
    }
    // Explicit overrides win over what features registered (tests swap in fakes this way).
    for (const [token, value] of options.overrides ?? []) c.register(token, { useValue: value });

    const app = createApp({
      settings: httpSettings,
      logger,
      authenticate: c.resolve(AuthenticateAccessToken),
      modules,
      guards: (spec) => guards.flatMap((g) => g(spec)),
      bodyGuards: (spec) => bodyGuards.flatMap((g) => g(spec)),
      before,
    });

    return { config, container: c, logger, app, users, sessions, codes, mailer, clock, database, redis, kinds, close };
  } catch (err) {
    await close();
    throw err;
  }
}
