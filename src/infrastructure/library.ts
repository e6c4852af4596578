import "reflect-metadata";
import pino from "pino";
import { backgroundSettled } from "../application/background.js";
import type { AttemptCounter } from "../application/ports/attempt-counter.port.js";
import type { AuditLog } from "../application/ports/audit-log.port.js";
import type { AvatarStorage } from "../application/ports/avatar-storage.port.js";
import type { IdentityRepository } from "../application/ports/identity-repository.port.js";
import type { Logger } from "../application/ports/logger.port.js";
import type { Mailer } from "../application/ports/mailer.port.js";
import type { OneTimeCodeStore } from "../application/ports/one-time-code-store.port.js";
import type { Clock, PasswordHasher, SecureRandom } from "../application/ports/security.port.js";
import type { SessionStore } from "../application/ports/session-store.port.js";
import type { UserRepository } from "../application/ports/user-repository.port.js";
import { TOKENS } from "../application/tokens.js";
import { AuthenticateAccessToken } from "../application/use-cases/authenticate-access-token.use-case.js";
import { ChangePassword } from "../application/use-cases/change-password.use-case.js";
import { CreateVerifiedUser } from "../application/use-cases/create-verified-user.use-case.js";
import { DeactivateAccount } from "../application/use-cases/deactivate-account.use-case.js";
import { EraseAccount } from "../application/use-cases/erase-account.use-case.js";
import { FindUserByEmail } from "../application/use-cases/find-user-by-email.use-case.js";
import { GetProfile } from "../application/use-cases/get-profile.use-case.js";
import { HardDeleteAccount } from "../application/use-cases/hard-delete-account.use-case.js";
import { ListSessions } from "../application/use-cases/list-sessions.use-case.js";
import { LockAccount } from "../application/use-cases/lock-account.use-case.js";
import { OAuthSignIn } from "../application/use-cases/oauth-sign-in.use-case.js";
import { PurgeDeletedAccounts } from "../application/use-cases/purge-deleted-accounts.use-case.js";
import { ReactivateAccount } from "../application/use-cases/reactivate-account.use-case.js";
import { RequestAccountDeletion } from "../application/use-cases/request-account-deletion.use-case.js";
import { RequestPasswordReset } from "../application/use-cases/request-password-reset.use-case.js";
import { ResendVerification } from "../application/use-cases/resend-verification.use-case.js";
import { ResetPassword } from "../application/use-cases/reset-password.use-case.js";
import { RestoreAccount } from "../application/use-cases/restore-account.use-case.js";
import { RevokeOtherSessions } from "../application/use-cases/revoke-other-sessions.use-case.js";
import { RevokeSession } from "../application/use-cases/revoke-session.use-case.js";
import { RotateRefreshToken } from "../application/use-cases/rotate-refresh-token.use-case.js";
import { SignIn } from "../application/use-cases/sign-in.use-case.js";
import { SignOut } from "../application/use-cases/sign-out.use-case.js";
import { SignUp } from "../application/use-cases/sign-up.use-case.js";
import { SoftDeleteAccount } from "../application/use-cases/soft-delete-account.use-case.js";
import { UnlockAccount } from "../application/use-cases/unlock-account.use-case.js";
import { UpdateProfile } from "../application/use-cases/update-profile.use-case.js";
import { VerifyResetOtp } from "../application/use-cases/verify-reset-otp.use-case.js";
import { VerifyUser } from "../application/use-cases/verify-user.use-case.js";
import type { HybridAuthApp } from "../adapters/http/app.js";
import { InMemoryAvatarStorage } from "../adapters/storage/in-memory-avatar.storage.js";
import type { BuildOptions, DatabaseKind, MailKind, StoreKind } from "./build-options.js";
import { loadConfig, type Config } from "./config.js";
import { buildContext, type AppContext } from "./container.js";
import { createLogger } from "./logger.js";

/** Environment-style settings, as in process.env or .env: DATABASE_URL, REDIS_URL, SMTP_URL, DATA_DIR, JWT_ACCESS_SECRET... */
export type EnvLike = Readonly<Record<string, string | undefined>>;

/**
 * Every use case, under the name a caller uses. One table, so the type of `useCases` and what
 * is resolved cannot drift apart.
 */
const USE_CASES = {
  signUp: SignUp,
  resendVerification: ResendVerification,
  verifyUser: VerifyUser,
  signIn: SignIn,
  authenticateAccessToken: AuthenticateAccessToken,
  rotateRefreshToken: RotateRefreshToken,
  signOut: SignOut,
  getProfile: GetProfile,
  updateProfile: UpdateProfile,
  listSessions: ListSessions,
  revokeSession: RevokeSession,
  revokeOtherSessions: RevokeOtherSessions,
  requestPasswordReset: RequestPasswordReset,
  verifyResetOtp: VerifyResetOtp,
  resetPassword: ResetPassword,
  changePassword: ChangePassword,
  lockAccount: LockAccount,
  unlockAccount: UnlockAccount,
  requestAccountDeletion: RequestAccountDeletion,
  softDeleteAccount: SoftDeleteAccount,
  hardDeleteAccount: HardDeleteAccount,
  reactivateAccount: ReactivateAccount,
  purgeDeletedAccounts: PurgeDeletedAccounts,
  oauthSignIn: OAuthSignIn,
  // Operator actions (the CLI): no mailed code or token, looked up by email.
  createVerifiedUser: CreateVerifiedUser,
  findUserByEmail: FindUserByEmail,
  deactivateAccount: DeactivateAccount,
  eraseAccount: EraseAccount,
  restoreAccount: RestoreAccount,
} as const;

export type HybridAuthUseCases = { readonly [K in keyof typeof USE_CASES]: InstanceType<(typeof USE_CASES)[K]> };

/** Ports a caller may supply; each one given replaces what would otherwise be built. */
export interface HybridAuthAdapters {
  userRepository?: UserRepository;
  sessionStore?: SessionStore;
  oneTimeCodeStore?: OneTimeCodeStore;
  attemptCounter?: AttemptCounter;
  identityRepository?: IdentityRepository;
  avatarStorage?: AvatarStorage;
  auditLog?: AuditLog;
  mailer?: Mailer;
  passwordHasher?: PasswordHasher;
  clock?: Clock;
  secureRandom?: SecureRandom;
  logger?: Logger;
}

export interface HybridAuthOptions {
  /**
   * Settings, as environment variables (`process.env`, or a plain object with the same names)
   * or a `Config` from `loadConfig`. Default: none, i.e. development defaults and secrets
   * generated for this process only (tokens and codes do not survive it).
   */
  config?: EnvLike | Config;
  /**
   * What the ports not supplied in `adapters` are built from. "config": what the server builds
   * (PostgreSQL with DATABASE_URL else PGlite in DATA_DIR, Redis with REDIS_URL else memory,
   * SMTP with SMTP_URL else files in DATA_DIR/outbox). "memory": everything in this process,
   * nothing opened, nothing written. Default: "config" when `config` is given, else "memory".
   */
  defaults?: "config" | "memory";
  adapters?: HybridAuthAdapters;
  /** Prefix of every Redis key (default "ha:", the server's: both then see the same sessions). */
  redisPrefix?: string;
  /** Apply pending migrations on open (default true, as the server does at start-up). */
  migrate?: boolean;
  /** Run the purge of expired deletions on the PURGE_INTERVAL_SECONDS schedule in this process (default false). */
  schedulePurge?: boolean;
}

export interface HybridAuth {
  readonly useCases: HybridAuthUseCases;
  /** The effective configuration (secrets included: never log it; see describeConfig). */
  readonly config: Config;
  /** What each store turned out to be; "custom" when the caller supplied it. */
  readonly backends: { database: DatabaseKind | "custom"; sessions: StoreKind | "custom"; mail: MailKind | "custom" };
  /**
   * Resolves when the mail and audit writes the use cases started in the background have
   * finished (bounded by `timeoutMs`, default 5 s). A script reads a mailed code after it.
   */
  settled(timeoutMs?: number): Promise<void>;
  /** Waits for background work (as settled), then closes the database and Redis connections. Idempotent. */
  close(): Promise<void>;
}

export interface HybridAuthAppOptions extends HybridAuthOptions {
  /**
   * The path prefix the app is mounted under (koa-mount) or reached through behind a proxy that
   * strips it, e.g. "/auth". Route-scoped cookies (refresh token, reset token, OAuth flow) get it
   * in front of their path so the browser sends them back. Default: BASE_PATH from the config.
   */
  basePath?: string;
}

export interface HybridAuthWithApp extends HybridAuth {
  /** The Koa app the server runs: mount it (koa-mount) or serve `app.callback()` yourself; it never listens. */
  readonly app: HybridAuthApp;
}

/** Context and handle together; the CLI needs the container for the purge loop, callers only the handle. */
export interface OpenedHybridAuth {
  auth: HybridAuthWithApp;
  context: AppContext;
}

function isConfig(value: EnvLike | Config): value is Config {
  return typeof (value as Config).secrets === "object" && (value as Config).secrets !== null;
}

/** Logs go to stderr: a script's or CLI's stdout is its own output. */
function defaultLogger(level: string): Logger {
  return createLogger(level, pino.destination(2));
}

/**
 * Builds everything the server builds, through the same composition root (so the use cases are
 * wired exactly as behind HTTP), then hands out the use cases. Internal: the public functions
 * below wrap it.
 */
export async function openHybridAuth(options: HybridAuthAppOptions = {}): Promise<OpenedHybridAuth> {
  const given = options.config;
  const defaults = options.defaults ?? (given ? "config" : "memory");
  const memory = defaults === "memory";
  // Secrets are persisted to DATA_DIR only when the caller points at real storage: in memory
  // nothing survives the process anyway, and nothing should be written.
  const loaded = given && isConfig(given) ? given : loadConfig({ ...(given ?? {}) }, { persistSecrets: !memory });
  const config: Config = options.schedulePurge ? loaded : { ...loaded, purgeIntervalSeconds: 0 };
  const explicitLevel = given && !isConfig(given) ? given.LOG_LEVEL : given ? config.logLevel : undefined;
  const a = options.adapters ?? {};
  const logger = a.logger ?? defaultLogger(explicitLevel || "error");

  const overrides = new Map<symbol, unknown>();
  const put = (token: symbol, value: unknown) => value !== undefined && overrides.set(token, value);
  put(TOKENS.UserRepository, a.userRepository);
  put(TOKENS.SessionStore, a.sessionStore);
  put(TOKENS.OneTimeCodeStore, a.oneTimeCodeStore);
  put(TOKENS.AttemptCounter, a.attemptCounter);
  put(TOKENS.IdentityRepository, a.identityRepository);
  put(TOKENS.AuditLog, a.auditLog);
  // In memory, avatars too: the server's default writes files under DATA_DIR.
  put(TOKENS.AvatarStorage, a.avatarStorage ?? (memory ? new InMemoryAvatarStorage({ publicBaseUrl: `${config.publicUrl}/avatars` }) : undefined));

  const build: BuildOptions = {
    logger,
    overrides,
    skipMigrations: options.migrate === false,
    ...(memory ? { database: "memory", sessions: "memory", mail: "memory" } : {}),
    ...(options.redisPrefix !== undefined ? { redisPrefix: options.redisPrefix } : {}),
    ...(options.basePath !== undefined ? { basePath: options.basePath } : {}),
    ...(a.clock ? { clock: a.clock } : {}),
    ...(a.secureRandom ? { random: a.secureRandom } : {}),
    ...(a.passwordHasher ? { passwordHasher: a.passwordHasher } : {}),
    ...(a.mailer ? { mailer: a.mailer } : {}),
  };
  const context = await buildContext(config, build);

  const useCases = Object.fromEntries(
    Object.entries(USE_CASES).map(([name, UseCase]) => [name, context.container.resolve(UseCase as never)]),
  ) as unknown as HybridAuthUseCases;

  let closing: Promise<void> | undefined;
  const settled = async (timeoutMs?: number) => {
    await backgroundSettled(timeoutMs);
  };
  const auth: HybridAuthWithApp = {
    app: context.app,
    useCases,
    config,
    backends: {
      database: a.userRepository ? "custom" : context.kinds.database,
      sessions: a.sessionStore ? "custom" : context.kinds.sessions,
      mail: a.mailer ? "custom" : context.kinds.mail,
    },
    settled,
    close: () =>
      (closing ??= (async () => {
        const left = await backgroundSettled();
        if (left > 0) logger.warn({ left }, "closing with background work (mail, audit) still running");
        await context.close();
      })()),
  };
  return { auth, context };
}

/**
 * The use cases as a library: no Koa, no HTTP. From a configuration (the server's adapters) or
 * from adapters the caller passes in (anything not passed is in memory):
 *
 *   const auth = await createHybridAuth({ adapters: { mailer } });           // all in memory
 *   const auth = await createHybridAuth({ config: process.env });            // PostgreSQL/PGlite, Redis, SMTP/outbox
 *   await auth.useCases.signUp.execute({ name, email, password });
 *   await auth.close();
 */
export async function createHybridAuth(options: HybridAuthOptions = {}): Promise<HybridAuth> {
  const { auth } = await openHybridAuth(options);
  // The app is built (the composition root is shared) but not handed out.
  const { useCases, config, backends, settled, close } = auth;
  return { useCases, config, backends, settled, close };
}

/**
 * The Koa app the server runs, plus the same handle as createHybridAuth, to mount inside another
 * Koa app: `parent.use(mount("/auth", (await createHybridAuthApp({ config: process.env, basePath: "/auth" })).app))`.
 */
export async function createHybridAuthApp(options: HybridAuthAppOptions = {}): Promise<HybridAuthWithApp> {
  return (await openHybridAuth(options)).auth;
}
