import "reflect-metadata";
import { container } from "tsyringe";
import { TOKENS } from "../../src/application/tokens.js";
import { AuditTrail } from "../../src/application/services/audit-trail.service.js";
import { InMemoryAuditLog } from "../../src/adapters/audit/in-memory-audit.log.js";
import type { Logger } from "../../src/application/ports/logger.port.js";
import type { SecureRandom } from "../../src/application/ports/security.port.js";
import { OneTimeCodes } from "../../src/application/services/one-time-codes.service.js";
import { PasswordAttempts } from "../../src/application/services/password-attempts.service.js";
import { SessionTokens } from "../../src/application/services/session-tokens.service.js";
import type { AuthSettings } from "../../src/application/settings.js";
import { AuthenticateAccessToken } from "../../src/application/use-cases/authenticate-access-token.use-case.js";
import { GetProfile } from "../../src/application/use-cases/get-profile.use-case.js";
import { ListSessions } from "../../src/application/use-cases/list-sessions.use-case.js";
import { ResendVerification } from "../../src/application/use-cases/resend-verification.use-case.js";
import { RevokeOtherSessions } from "../../src/application/use-cases/revoke-other-sessions.use-case.js";
import { RevokeSession } from "../../src/application/use-cases/revoke-session.use-case.js";
import { RotateRefreshToken } from "../../src/application/use-cases/rotate-refresh-token.use-case.js";
import { SignIn, type SignInOutput } from "../../src/application/use-cases/sign-in.use-case.js";
import { SignOut } from "../../src/application/use-cases/sign-out.use-case.js";
import { SignUp } from "../../src/application/use-cases/sign-up.use-case.js";
import { VerifyUser } from "../../src/application/use-cases/verify-user.use-case.js";
import type { RequestMeta } from "../../src/application/request-context.js";
import { InMemoryAttemptCounter } from "../../src/adapters/attempt-counter/in-memory-attempt.counter.js";
import { InMemoryMailer } from "../../src/adapters/mail/in-memory.mailer.js";
import { InMemoryOneTimeCodeStore } from "../../src/adapters/one-time-code/in-memory-one-time-code.store.js";
import { InMemoryUserRepository } from "../../src/adapters/persistence/in-memory-user.repository.js";
import { FastPasswordHasher } from "../../src/adapters/security/fast-password.hasher.js";
import { HmacKeyedHasher } from "../../src/adapters/security/hmac-keyed.hasher.js";
import { JwtAccessTokenIssuer } from "../../src/adapters/security/jwt-access-token.issuer.js";
import { NodeSecureRandom } from "../../src/adapters/security/node-secure.random.js";
import { InMemorySessionStore } from "../../src/adapters/session-store/in-memory-session.store.js";
import { ACCESS_TOKEN_TTL_SECONDS } from "../../src/domain/session.js";
import type { User } from "../../src/domain/user.entity.js";
import { ManualClock } from "./manual-clock.js";

export interface LogEntry {
  level: "info" | "warn" | "error" | "debug";
  obj: object;
  msg: string | undefined;
}

/** Keeps every log call, so a test can check what was (and was not) logged. */
export class CollectingLogger implements Logger {
  readonly entries: LogEntry[] = [];
  info(obj: object, msg?: string): void {
    this.entries.push({ level: "info", obj, msg });
  }
  warn(obj: object, msg?: string): void {
    this.entries.push({ level: "warn", obj, msg });
  }
  error(obj: object, msg?: string): void {
    this.entries.push({ level: "error", obj, msg });
  }
  debug(obj: object, msg?: string): void {
    this.entries.push({ level: "debug", obj, msg });
  }
  /** Everything logged, as one string, for "never logs X" assertions. */
  text(): string {
    return this.entries.map((e) => `${e.level} ${e.msg ?? ""} ${safeJson(e.obj)}`).join("\n");
  }
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value, (_k, v: unknown) => (v instanceof Error ? { name: v.name, message: v.message } : v));
  } catch {
    return String(value);
  }
}

/** A SecureRandom whose digits() can be scripted, so tests that compare two codes are deterministic. */
export class ScriptedRandom implements SecureRandom {
  readonly #real = new NodeSecureRandom();
  readonly #digits: string[] = [];
  queueDigits(...codes: string[]): void {
    this.#digits.push(...codes);
  }
  token(bytes: number): string {
    return this.#real.token(bytes);
  }
  digits(length: number): string {
    return this.#digits.shift() ?? this.#real.digits(length);
  }
  uuid(): string {
    return this.#real.uuid();
  }
}

export const TEST_SETTINGS: AuthSettings = {
  appName: "hybrid-auth",
  clientUrl: "http://localhost:3000",
  refreshReuseGraceSeconds: 10,
  refreshIdleTtlSeconds: 7 * 24 * 3600,
  refreshAbsoluteTtlSeconds: 30 * 24 * 3600,
};

export const TEST_META: RequestMeta = { ip: "203.0.113.7", userAgent: "mocha-test-agent" };

export interface HarnessOverrides {
  clock?: ManualClock;
  settings?: Partial<AuthSettings>;
  random?: SecureRandom;
  accessTokenTtlSeconds?: number;
}

/** Lets background work (mail is sent through inBackground) finish before a test looks at it. */
export function flushBackground(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** The error a promise rejects with; fails the test when it resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof Error) return err;
    throw new Error(`rejected with a non-Error: ${String(err)}`, { cause: err });
  }
  throw new Error("expected the promise to reject, but it resolved");
}

/** Every adapter in memory, every use case built with `new`, time frozen until a test moves it. */
export function buildUseCases(overrides: HarnessOverrides = {}) {
  const clock = overrides.clock ?? new ManualClock();
  const settings: AuthSettings = { ...TEST_SETTINGS, ...overrides.settings };
  const random = overrides.random ?? new NodeSecureRandom();
  const logger = new CollectingLogger();

  const users = new InMemoryUserRepository();
  const sessions = new InMemorySessionStore(clock);
  const codeStore = new InMemoryOneTimeCodeStore(clock);
  const mailer = new InMemoryMailer();
  const attemptCounter = new InMemoryAttemptCounter();
  const hasher = new FastPasswordHasher();
  const keyedHasher = new HmacKeyedHasher("unit-test-crypto-secret-0123456789abcdef");
  const refreshHasher = new HmacKeyedHasher("unit-test-refresh-secret-0123456789abcdef");
  const accessTokens = new JwtAccessTokenIssuer({
    secret: "unit-test-access-secret-0123456789abcdef",
    issuer: "hybrid-auth",
    audience: "hybrid-auth",
    ttlSeconds: overrides.accessTokenTtlSeconds ?? ACCESS_TOKEN_TTL_SECONDS,
  });

  const auditLog = new InMemoryAuditLog();
  // Resolved through tsyringe with the same tokens as production, so a use case that gains a
  // dependency does not break every test that builds it.
  const c = container.createChildContainer();
  const values: Array<[symbol, unknown]> = [
    [TOKENS.UserRepository, users],
    [TOKENS.SessionStore, sessions],
    [TOKENS.OneTimeCodeStore, codeStore],
    [TOKENS.AttemptCounter, attemptCounter],
    [TOKENS.AuditLog, auditLog],
    [TOKENS.Mailer, mailer],
    [TOKENS.PasswordHasher, hasher],
    [TOKENS.AccessTokenIssuer, accessTokens],
    [TOKENS.KeyedHasher, keyedHasher],
    [TOKENS.RefreshTokenHasher, refreshHasher],
    [TOKENS.SecureRandom, random],
    [TOKENS.Clock, clock],
    [TOKENS.Logger, logger],
    [TOKENS.AuthSettings, settings],
  ];
  for (const [token, value] of values) c.register(token, { useValue: value });
  for (const service of [OneTimeCodes, SessionTokens, PasswordAttempts, AuditTrail] as const) c.registerSingleton(service as never);

  const codes = c.resolve(OneTimeCodes);
  const sessionTokens = c.resolve(SessionTokens);
  const passwordAttempts = c.resolve(PasswordAttempts);

  const signUp = c.resolve(SignUp);
  const verifyUser = c.resolve(VerifyUser);
  const resendVerification = c.resolve(ResendVerification);
  const signIn = c.resolve(SignIn);
  const authenticate = c.resolve(AuthenticateAccessToken);
  const getProfile = c.resolve(GetProfile);
  const rotateRefreshToken = c.resolve(RotateRefreshToken);
  const signOut = c.resolve(SignOut);
  const listSessions = c.resolve(ListSessions);
  const revokeSession = c.resolve(RevokeSession);
  const revokeOtherSessions = c.resolve(RevokeOtherSessions);

  /** The 6-digit code in the last verify-email mail to `email` (the address as the mail was addressed). */
  async function lastCode(email: string): Promise<string> {
    await flushBackground();
    const mail = mailer.last(email, "verify-email");
    if (!mail) throw new Error(`no verify-email mail to ${email}`);
    const match = /\b(\d{6})\b/.exec(mail.text);
    if (!match?.[1]) throw new Error(`no 6-digit code in the mail to ${email}: ${mail.text}`);
    return match[1];
  }

  async function registerVerifiedUser(email: string, password: string, name = "Test User"): Promise<User> {
    await signUp.execute({ name, email, password });
    const otpCode = await lastCode(email.trim());
    const { user } = await verifyUser.execute({ email, otpCode });
    return user;
  }

  async function registerAndSignIn(
    email: string,
    password = "correct horse battery",
    meta: RequestMeta = TEST_META,
  ): Promise<SignInOutput> {
    await registerVerifiedUser(email, password);
    return signIn.execute({ email, password, meta });
  }

  return {
    container: c,
    auditLog,
    clock,
    settings,
    random,
    logger,
    users,
    sessions,
    codes: codeStore,
    oneTimeCodes: codes,
    attemptCounter,
    passwordAttempts,
    mailer,
    hasher,
    keyedHasher,
    refreshHasher,
    accessTokens,
    sessionTokens,
    signUp,
    verifyUser,
    resendVerification,
    signIn,
    authenticate,
    getProfile,
    rotateRefreshToken,
    signOut,
    listSessions,
    revokeSession,
    revokeOtherSessions,
    lastCode,
    registerVerifiedUser,
    registerAndSignIn,
    flushBackground,
  };
}

export type UseCaseHarness = ReturnType<typeof buildUseCases>;
