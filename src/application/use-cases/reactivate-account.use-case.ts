import { inject, injectable } from "tsyringe";
import { canReactivate } from "../../domain/account-deletion.policy.js";
import { AccountNotDeactivatedError, ReactivationWindowClosedError, UserNotFoundError } from "../../domain/errors.js";
import type { User } from "../../domain/user.entity.js";
import { inBackground } from "../background.js";
import { mails } from "../mail-templates.js";
import type { Logger } from "../ports/logger.port.js";
import type { Mailer } from "../ports/mailer.port.js";
import type { Clock } from "../ports/security.port.js";
import type { SessionStore } from "../ports/session-store.port.js";
import type { UserRepository } from "../ports/user-repository.port.js";
import type { RequestMeta } from "../request-context.js";
import { AuditTrail } from "../services/audit-trail.service.js";
import { SessionTokens, type SessionGrant } from "../services/session-tokens.service.js";
import type { AuthSettings } from "../settings.js";
import { TOKENS } from "../tokens.js";

export interface ReactivateAccountInput {
  userId: string;
  /** The reactivate-scoped session making the request. */
  sessionId: string;
  meta: RequestMeta;
}

export interface ReactivateAccountOutput extends SessionGrant {
  user: User;
}

/**
 * Undoes a soft delete inside the retention window. The restricted sessions opened while the
 * account was deactivated all end (their tokens carry the reactivate scope), and a fresh normal
 * session is started for the caller, whose driver hands out the new tokens.
 */
@injectable()
export class ReactivateAccount {
  constructor(
    @inject(TOKENS.UserRepository) private readonly users: UserRepository,
    @inject(TOKENS.SessionStore) private readonly sessions: SessionStore,
    @inject(SessionTokens) private readonly sessionTokens: SessionTokens,
    @inject(AuditTrail) private readonly audit: AuditTrail,
    @inject(TOKENS.Mailer) private readonly mailer: Mailer,
    @inject(TOKENS.Clock) private readonly clock: Clock,
    @inject(TOKENS.AuthSettings) private readonly settings: AuthSettings,
    @inject(TOKENS.Logger) private readonly logger: Logger,
  ) {}

  async execute(input: ReactivateAccountInput): Promise<ReactivateAccountOutput> {
    const user = await this.users.findById(input.userId);
    if (!user) throw new UserNotFoundError();
    if (!user.deactivatedAt) throw new AccountNotDeactivatedError();
    const now = this.clock.now();
    if (!canReactivate(user, now)) throw new ReactivationWindowClosedError();

    const updated = await this.users.update(user.id, { deactivatedAt: null, purgeAfter: null, updatedAt: now });
    // Erased in between by a purge that started at the very edge of the window.
    if (!updated) throw new ReactivationWindowClosedError();
    // Every live session was opened after the soft delete (it revoked all of them), so all are restricted.
    await this.sessions.revokeAllForUser(user.id);
    const grant = await this.sessionTokens.start(updated, input.meta, now);

    this.audit.record("account-reactivated", user.id, input.meta, { sessionId: grant.session.id, previousSessionId: input.sessionId });
    const message = mails.accountReactivated(user.email, this.settings.appName);
    inBackground(this.logger, "mail:account-reactivated", () => this.mailer.send(message));
    return { ...grant, user: updated };
  }
}
