/**
 * hybrid-auth as a library: `import { createHybridAuth } from "hybrid-auth"`.
 *
 * - createHybridAuth(options): every use case, typed, with no Koa and no HTTP; built from a
 *   configuration (the server's adapters) or from adapters you pass in (the rest in memory).
 * - createHybridAuthApp(options): the same, plus the Koa app the server runs, to mount inside
 *   another Koa app.
 * - The port interfaces (to write your own adapters), the domain types and errors (to catch them
 *   by class or by `code`), and the in-memory adapters.
 *
 * The package ships TypeScript source and runs under tsx, like the server itself: see README.md,
 * "Embedding".
 */
export {
  createHybridAuth,
  createHybridAuthApp,
  type EnvLike,
  type HybridAuth,
  type HybridAuthAdapters,
  type HybridAuthAppOptions,
  type HybridAuthOptions,
  type HybridAuthUseCases,
  type HybridAuthWithApp,
} from "./infrastructure/library.js";
export { ConfigError, describeConfig, loadConfig, type Config } from "./infrastructure/config.js";
export type { HybridAuthApp } from "./adapters/http/app.js";

// Ports: implement one to plug in your own storage, mail or clock.
export type { AttemptCounter, AttemptDecision } from "./application/ports/attempt-counter.port.js";
export type { AuditEntry, AuditEvent, AuditLog } from "./application/ports/audit-log.port.js";
export type { AvatarContentType, AvatarStorage, StoredAvatar } from "./application/ports/avatar-storage.port.js";
export type { IdentityRepository } from "./application/ports/identity-repository.port.js";
export type { Logger } from "./application/ports/logger.port.js";
export type { MailMessage, Mailer } from "./application/ports/mailer.port.js";
export type { ConsumeCodeInput, ConsumeCodeResult, IssueCodeInput, IssueCodeResult, OneTimeCodeStore } from "./application/ports/one-time-code-store.port.js";
export type { AccessTokenClaims, AccessTokenIssuer, Clock, IssuedAccessToken, KeyedHasher, PasswordHasher, SecureRandom } from "./application/ports/security.port.js";
export type { RotateRefreshInput, RotateRefreshResult, SessionStore } from "./application/ports/session-store.port.js";
export type { NewUser, UserChanges, UserRepository } from "./application/ports/user-repository.port.js";
export { NO_REQUEST_META, type RequestMeta } from "./application/request-context.js";
export type { SessionGrant, TokenPair } from "./application/services/session-tokens.service.js";

// Use cases: the classes as types (instances come from createHybridAuth), with their inputs and outputs.
export type * from "./application/use-cases/authenticate-access-token.use-case.js";
export type * from "./application/use-cases/change-password.use-case.js";
export type * from "./application/use-cases/create-verified-user.use-case.js";
export type * from "./application/use-cases/deactivate-account.use-case.js";
export type * from "./application/use-cases/erase-account.use-case.js";
export type * from "./application/use-cases/find-user-by-email.use-case.js";
export type * from "./application/use-cases/get-profile.use-case.js";
export type * from "./application/use-cases/hard-delete-account.use-case.js";
export type * from "./application/use-cases/list-sessions.use-case.js";
export type * from "./application/use-cases/lock-account.use-case.js";
export type * from "./application/use-cases/oauth-sign-in.use-case.js";
export type * from "./application/use-cases/purge-deleted-accounts.use-case.js";
export type * from "./application/use-cases/reactivate-account.use-case.js";
export type * from "./application/use-cases/request-account-deletion.use-case.js";
export type * from "./application/use-cases/request-password-reset.use-case.js";
export type * from "./application/use-cases/resend-verification.use-case.js";
export type * from "./application/use-cases/reset-password.use-case.js";
export type * from "./application/use-cases/restore-account.use-case.js";
export type * from "./application/use-cases/revoke-other-sessions.use-case.js";
export type * from "./application/use-cases/revoke-session.use-case.js";
export type * from "./application/use-cases/rotate-refresh-token.use-case.js";
export type * from "./application/use-cases/sign-in.use-case.js";
export type * from "./application/use-cases/sign-out.use-case.js";
export type * from "./application/use-cases/sign-up.use-case.js";
export type * from "./application/use-cases/soft-delete-account.use-case.js";
export type * from "./application/use-cases/unlock-account.use-case.js";
export type * from "./application/use-cases/update-profile.use-case.js";
export type * from "./application/use-cases/verify-reset-otp.use-case.js";
export type * from "./application/use-cases/verify-user.use-case.js";

// Domain: entities and the errors use cases throw (each has a stable `code`).
export type { Identity, OAuthProvider } from "./domain/identity.entity.js";
export type { Session } from "./domain/session.js";
export type { Avatar, Role, User } from "./domain/user.entity.js";
export * from "./domain/errors.js";

// In-memory adapters: the defaults of createHybridAuth without a config, and handy in tests.
export { InMemoryAttemptCounter } from "./adapters/attempt-counter/in-memory-attempt.counter.js";
export { InMemoryAuditLog } from "./adapters/audit/in-memory-audit.log.js";
export { InMemoryMailer } from "./adapters/mail/in-memory.mailer.js";
export { InMemoryOneTimeCodeStore } from "./adapters/one-time-code/in-memory-one-time-code.store.js";
export { InMemoryIdentityRepository } from "./adapters/persistence/in-memory-identity.repository.js";
export { InMemoryUserRepository } from "./adapters/persistence/in-memory-user.repository.js";
export { InMemorySessionStore } from "./adapters/session-store/in-memory-session.store.js";
export { InMemoryAvatarStorage } from "./adapters/storage/in-memory-avatar.storage.js";
export { SystemClock } from "./adapters/security/system.clock.js";
