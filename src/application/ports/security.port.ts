export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(password: string, hash: string): Promise<boolean>;
  /**
   * Spends the same time as a verify against a real hash, for paths with no account, so
   * response time does not reveal whether an email is registered.
   */
  verifyDummy(password: string): Promise<void>;
}

export interface AccessTokenClaims {
  userId: string;
  sessionId: string;
  role: string;
  /**
   * "reactivate": the session of a soft-deleted account, good only for reactivating it (and
   * signing out). Absent for a normal session.
   */
  scope?: "reactivate";
}

export interface IssuedAccessToken {
  token: string;
  expiresAt: Date;
}

export interface AccessTokenIssuer {
  issue(claims: AccessTokenClaims, now: Date): IssuedAccessToken;
  /** Throws InvalidTokenError for any token that is malformed, forged, expired or not ours. */
  verify(token: string, now: Date): AccessTokenClaims;
}

/** HMAC with a server secret: codes and tokens are stored only as keyed hashes. */
export interface KeyedHasher {
  /** Hex digest of HMAC(secret, namespace || value). */
  hash(namespace: string, value: string): string;
  /** Constant-time equality of two digests or tokens. */
  equals(a: string, b: string): boolean;
}

export interface SecureRandom {
  /** URL-safe random token carrying `bytes` of entropy. */
  token(bytes: number): string;
  /** A random string of `length` decimal digits, uniformly distributed. */
  digits(length: number): string;
  uuid(): string;
}

export interface Clock {
  now(): Date;
}
