/**
 * Injection tokens for the ports. Typed symbols, never strings: a typo is a compile error.
 * Adapters are registered under these in src/infrastructure/container.ts only.
 */
export const TOKENS = {
  UserRepository: Symbol("UserRepository"),
  SessionStore: Symbol("SessionStore"),
  OneTimeCodeStore: Symbol("OneTimeCodeStore"),
  AttemptCounter: Symbol("AttemptCounter"),
  IdentityRepository: Symbol("IdentityRepository"),
  AvatarStorage: Symbol("AvatarStorage"),
  AuditLog: Symbol("AuditLog"),
  Mailer: Symbol("Mailer"),
  PasswordHasher: Symbol("PasswordHasher"),
  AccessTokenIssuer: Symbol("AccessTokenIssuer"),
  KeyedHasher: Symbol("KeyedHasher"),
  /** A KeyedHasher keyed with JWT_REFRESH_SECRET, for refresh tokens only. */
  RefreshTokenHasher: Symbol("RefreshTokenHasher"),
  SecureRandom: Symbol("SecureRandom"),
  Clock: Symbol("Clock"),
  Logger: Symbol("Logger"),
  AuthSettings: Symbol("AuthSettings"),
  HealthIndicators: Symbol("HealthIndicators"),
} as const;
