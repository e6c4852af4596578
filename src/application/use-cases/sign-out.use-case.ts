import { inject, injectable } from "tsyringe";
import { DomainError } from "../../domain/errors.js";
import type { AccessTokenIssuer, Clock } from "../ports/security.port.js";
import type { SessionStore } from "../ports/session-store.port.js";
import { SessionTokens } from "../services/session-tokens.service.js";
import { TOKENS } from "../tokens.js";

export interface SignOutInput {
  accessToken?: string | null;
  refreshToken?: string | null;
}

export interface SignOutOutput {
  /** The session that was ended, or null when there was nothing live to end. */
  sessionId: string | null;
}

/**
 * Idempotent: an already-ended session, an expired access token or no token at all still
 * succeed (the driver clears cookies). Either token identifies the session, so a client whose
 * access token has expired can still sign out with its refresh token.
 */
@injectable()
export class SignOut {
  constructor(
    @inject(TOKENS.SessionStore) private readonly sessions: SessionStore,
    @inject(TOKENS.AccessTokenIssuer) private readonly accessTokens: AccessTokenIssuer,
    @inject(SessionTokens) private readonly sessionTokens: SessionTokens,
    @inject(TOKENS.Clock) private readonly clock: Clock,
  ) {}

  async execute(input: SignOutInput): Promise<SignOutOutput> {
    const sessionId = (await this.fromAccessToken(input.accessToken)) ?? (await this.fromRefreshToken(input.refreshToken));
    if (!sessionId) return { sessionId: null };
    const removed = await this.sessions.revoke(sessionId);
    return { sessionId: removed ? sessionId : null };
  }

  private async fromAccessToken(token: string | null | undefined): Promise<string | null> {
    if (!token) return null;
    try {
      return this.accessTokens.verify(token, this.clock.now()).sessionId;
    } catch (err) {
      if (err instanceof DomainError) return null;
      throw err;
    }
  }

  private async fromRefreshToken(token: string | null | undefined): Promise<string | null> {
    if (!token) return null;
    let sessionId: string;
    try {
      sessionId = this.sessionTokens.parseRefreshToken(token).sessionId;
    } catch {
      return null;
    }
    // Only the holder of the current refresh token may end the session with it.
    const session = await this.sessions.get(sessionId);
    return session && this.sessionTokens.matches(token, session.refreshTokenHash) ? sessionId : null;
  }
}
