/** Lifetimes fixed by the contract (API.md, Tokens and cookies). */
export const ACCESS_TOKEN_TTL_SECONDS = 15 * 60;
export const REFRESH_IDLE_TTL_SECONDS = 7 * 24 * 3600;
export const REFRESH_ABSOLUTE_TTL_SECONDS = 30 * 24 * 3600;
export const DEFAULT_REFRESH_REUSE_GRACE_SECONDS = 10;

export interface Session {
  id: string;
  userId: string;
  /** Keyed hash of the refresh token that is current now. */
  refreshTokenHash: string;
  userAgent: string | null;
  ip: string | null;
  createdAt: Date;
  lastUsedAt: Date;
  /** Idle expiry: moves forward on every rotation, never past absoluteExpiresAt. */
  expiresAt: Date;
  absoluteExpiresAt: Date;
}

export function isSessionLive(session: Session, now: Date): boolean {
  return session.expiresAt.getTime() > now.getTime() && session.absoluteExpiresAt.getTime() > now.getTime();
}

export function nextIdleExpiry(now: Date, absoluteExpiresAt: Date, idleTtlSeconds = REFRESH_IDLE_TTL_SECONDS): Date {
  return new Date(Math.min(now.getTime() + idleTtlSeconds * 1000, absoluteExpiresAt.getTime()));
}
