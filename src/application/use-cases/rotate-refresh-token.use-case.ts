import { inject, injectable } from "tsyringe";
import { InvalidTokenError, SessionRevokedError } from "../../domain/errors.js";
import type { User } from "../../domain/user.entity.js";
import { inBackground } from "../background.js";
import { mails } from "../mail-templates.js";
import type { Logger } from "../ports/logger.port.js";
import type { Mailer } from "../ports/mailer.port.js";
import type { Clock } from "../ports/security.port.js";
import type { SessionStore } from "../ports/session-store.port.js";
import type { UserRepository } from "../ports/user-repository.port.js";
import { AuditTrail } from "../services/audit-trail.service.js";
import { SessionTokens, type SessionGrant } from "../services/session-tokens.service.js";
import type { AuthSettings } from "../settings.js";
import { TOKENS } from "../tokens.js";

export interface RotateRefreshTokenInput {
  refreshToken: string;
}

export interface RotateRefreshTokenOutput extends SessionGrant {
  user: User;
}

/**
 * Atomic rotation: the store swaps the hash in one step. Racing refreshes with the same token
 * inside the grace window get the same successor; a rotated-out token after the window means
 * the token was copied, so the whole session dies and the owner is told.
 */
@injectable()
export class RotateRefreshToken {
  constructor(
    @inject(TOKENS.SessionStore) private readonly sessions: SessionStore,
    @inject(TOKENS.UserRepository) private readonly users: UserRepository,
    @inject(SessionTokens) private readonly sessionTokens: SessionTokens,
    @inject(TOKENS.Mailer) private readonly mailer: Mailer,
    @inject(TOKENS.Clock) private readonly clock: Clock,
    @inject(TOKENS.AuthSettings) private readonly settings: AuthSettings,
    @inject(TOKENS.Logger) private readonly logger: Logger,
    @inject(AuditTrail) private readonly audit: AuditTrail,
  ) {}

  async execute(input: RotateRefreshTokenInput): Promise<RotateRefreshTokenOutput> {
    const { sessionId } = this.sessionTokens.parseRefreshToken(input.refreshToken);
    const now = this.clock.now();
    const current = await this.sessions.get(sessionId);
    if (!current) throw new InvalidTokenError();

    const successor = this.sessionTokens.successorOf(input.refreshToken);
    const result = await this.sessions.rotate({
      sessionId,
      presentedHash: this.sessionTokens.hashRefreshToken(input.refreshToken),
      nextHash: this.sessionTokens.hashRefreshToken(successor),
      now,
      graceMs: this.sessionTokens.graceMs,
      nextExpiresAt: this.sessionTokens.nextIdleExpiry(now, current.absoluteExpiresAt),
    });

    if (result.status === "reused") {
      this.logger.warn({ sessionId, userId: result.userId }, "refresh token reuse: session revoked");
      this.audit.record("refresh-token-reuse", result.userId, null, { sessionId });
      await this.warnOwner(result.userId);
      throw new SessionRevokedError("This refresh token was already used; the session has been ended");
    }
    if (result.status === "invalid") throw new InvalidTokenError();

    const user = await this.users.findById(result.session.userId);
    if (!user) {
      await this.sessions.revoke(sessionId);
      throw new SessionRevokedError();
    }
    return { user, session: result.session, tokens: this.sessionTokens.pair(result.session, user, successor, now) };
  }

  private async warnOwner(userId: string): Promise<void> {
    const user = await this.users.findById(userId);
    if (!user) return;
    const message = mails.refreshTokenReuse(user.email, this.settings.appName);
    inBackground(this.logger, "mail:session-reuse", () => this.mailer.send(message));
  }
}
