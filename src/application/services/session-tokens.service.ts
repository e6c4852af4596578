import { inject, injectable } from "tsyringe";
import { InvalidTokenError } from "../../domain/errors.js";
import { nextIdleExpiry, type Session } from "../../domain/session.js";
import type { User } from "../../domain/user.entity.js";
import type { RequestMeta } from "../request-context.js";
import type { AccessTokenIssuer, KeyedHasher, SecureRandom } from "../ports/security.port.js";
import type { SessionStore } from "../ports/session-store.port.js";
import type { AuthSettings } from "../settings.js";
import { TOKENS } from "../tokens.js";

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  accessTokenExpiresAt: Date;
  refreshTokenExpiresAt: Date;
}

export interface SessionGrant {
  session: Session;
  tokens: TokenPair;
}

const REFRESH_HASH_NS = "refresh";
const REFRESH_ROTATE_NS = "refresh-rotate";
const REFRESH_TOKEN_SHAPE = /^([0-9a-f-]{36})\.([A-Za-z0-9_-]{32,128})$/;

/**
 * Session and token mechanics shared by sign-in, refresh and OAuth sign-in. Not a use case:
 * it holds no business decision, only how a session and its tokens are made.
 *
 * Refresh tokens are `<sessionId>.<secret>`. The successor of a token is derived from it with
 * a keyed hash, so concurrent refreshes with the same token (a browser with two tabs) compute
 * the same successor and the store can hand them the same pair without keeping any token in
 * clear text.
 */
@injectable()
export class SessionTokens {
  constructor(
    @inject(TOKENS.SessionStore) private readonly sessions: SessionStore,
    @inject(TOKENS.AccessTokenIssuer) private readonly accessTokens: AccessTokenIssuer,
    @inject(TOKENS.RefreshTokenHasher) private readonly hasher: KeyedHasher,
    @inject(TOKENS.SecureRandom) private readonly random: SecureRandom,
    @inject(TOKENS.AuthSettings) private readonly settings: AuthSettings,
  ) {}

  async start(user: Pick<User, "id" | "role" | "deactivatedAt">, meta: RequestMeta, now: Date): Promise<SessionGrant> {
    const sessionId = this.random.uuid();
    const refreshToken = `${sessionId}.${this.random.token(32)}`;
    const absoluteExpiresAt = new Date(now.getTime() + this.settings.refreshAbsoluteTtlSeconds * 1000);
    const session: Session = {
      id: sessionId,
      userId: user.id,
      refreshTokenHash: this.hashRefreshToken(refreshToken),
      userAgent: meta.userAgent?.slice(0, 512) ?? null,
      ip: meta.ip,
      createdAt: now,
      lastUsedAt: now,
      expiresAt: this.nextIdleExpiry(now, absoluteExpiresAt),
      absoluteExpiresAt,
    };
    await this.sessions.create(session);
    return { session, tokens: this.pair(session, user, refreshToken, now) };
  }

  /** A deactivated account's tokens carry the "reactivate" scope and open nothing else. */
  pair(session: Session, user: Pick<User, "role" | "deactivatedAt">, refreshToken: string, now: Date): TokenPair {
    const claims = { userId: session.userId, sessionId: session.id, role: user.role };
    const access = this.accessTokens.issue(user.deactivatedAt ? { ...claims, scope: "reactivate" } : claims, now);
    return {
      accessToken: access.token,
      accessTokenExpiresAt: access.expiresAt,
      refreshToken,
      refreshTokenExpiresAt: session.expiresAt,
    };
  }

  /** The session id a refresh token claims; throws for anything not shaped like one of ours. */
  parseRefreshToken(token: string): { sessionId: string } {
    const match = REFRESH_TOKEN_SHAPE.exec(token);
    if (!match) throw new InvalidTokenError();
    return { sessionId: match[1]! };
  }

  hashRefreshToken(token: string): string {
    return this.hasher.hash(REFRESH_HASH_NS, token);
  }

  successorOf(token: string): string {
    const { sessionId } = this.parseRefreshToken(token);
    return `${sessionId}.${this.hasher.hash(REFRESH_ROTATE_NS, token)}`;
  }

  matches(token: string, storedHash: string): boolean {
    return this.hasher.equals(this.hashRefreshToken(token), storedHash);
  }

  nextIdleExpiry(now: Date, absoluteExpiresAt: Date): Date {
    return nextIdleExpiry(now, absoluteExpiresAt, this.settings.refreshIdleTtlSeconds);
  }

  get graceMs(): number {
    return this.settings.refreshReuseGraceSeconds * 1000;
  }
}
