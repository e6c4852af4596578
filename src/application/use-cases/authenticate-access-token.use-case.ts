import { inject, injectable } from "tsyringe";
import { SessionRevokedError } from "../../domain/errors.js";
import { inBackground } from "../background.js";
import type { Logger } from "../ports/logger.port.js";
import type { AccessTokenIssuer, Clock } from "../ports/security.port.js";
import type { SessionStore } from "../ports/session-store.port.js";
import type { UserRepository } from "../ports/user-repository.port.js";
import type { User } from "../../domain/user.entity.js";
import { TOKENS } from "../tokens.js";

export interface AuthenticateAccessTokenInput {
  accessToken: string;
}

export interface AuthenticateAccessTokenOutput {
  userId: string;
  sessionId: string;
  role: string;
  /** "reactivate" for a soft-deleted account's session; drivers allow it only where it fits. */
  scope?: "reactivate";
  /** The account as it is now (read alongside the session check, not after it). */
  user: User;
}

/** lastUsedAt is written at most this often per session, to keep authentication read-only. */
const TOUCH_INTERVAL_MS = 60_000;

/**
 * A valid signature is not enough: the session must still be live, so a revoked session
 * (sign-out, password reset, deletion, theft detection) is refused on the next request on
 * every instance. The account is loaded in the same step (both lookups in flight together),
 * so a session can never outlive its account, and drivers get the user without asking again.
 */
@injectable()
export class AuthenticateAccessToken {
  constructor(
    @inject(TOKENS.AccessTokenIssuer) private readonly accessTokens: AccessTokenIssuer,
    @inject(TOKENS.SessionStore) private readonly sessions: SessionStore,
    @inject(TOKENS.UserRepository) private readonly users: UserRepository,
    @inject(TOKENS.Clock) private readonly clock: Clock,
    @inject(TOKENS.Logger) private readonly logger: Logger,
  ) {}

  async execute(input: AuthenticateAccessTokenInput): Promise<AuthenticateAccessTokenOutput> {
    const now = this.clock.now();
    const claims = this.accessTokens.verify(input.accessToken, now);
    const [session, user] = await Promise.all([this.sessions.check(claims.sessionId), this.users.findById(claims.userId)]);
    if (!session || session.userId !== claims.userId) throw new SessionRevokedError();
    // Deleting or deactivating an account revokes its sessions; this holds even if that failed
    // half-way. A restricted "reactivate" session is what a deactivated account signs in to.
    if (!user || (user.deactivatedAt !== null && claims.scope !== "reactivate")) throw new SessionRevokedError();
    if (now.getTime() - session.lastUsedAt.getTime() > TOUCH_INTERVAL_MS) {
      inBackground(this.logger, "session:touch", () => this.sessions.touch(session.id, now));
    }
    const out: AuthenticateAccessTokenOutput = { userId: claims.userId, sessionId: claims.sessionId, role: claims.role, user };
    if (claims.scope) out.scope = claims.scope;
    return out;
  }
}
