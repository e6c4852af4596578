import { inject, injectable } from "tsyringe";
import { canReactivate, deactivation } from "../../domain/account-deletion.policy.js";
import { AccountNotDeactivatedError, ReactivationWindowClosedError } from "../../domain/errors.js";
import type { User } from "../../domain/user.entity.js";
import { ACCOUNT_SETTINGS, type AccountSettings } from "../account-settings.js";
import { inBackground } from "../background.js";
import { mails } from "../mail-templates.js";
import type { Logger } from "../ports/logger.port.js";
import type { Mailer } from "../ports/mailer.port.js";
import type { Clock } from "../ports/security.port.js";
import type { SessionStore } from "../ports/session-store.port.js";
import type { UserRepository } from "../ports/user-repository.port.js";
import type { RequestMeta } from "../request-context.js";
import type { AuthSettings } from "../settings.js";
import { TOKENS } from "../tokens.js";
import { AuditTrail } from "./audit-trail.service.js";

export interface Deactivation {
  deactivatedAt: Date;
  /** Reactivation is possible until then; the purge erases the account afterwards. */
  purgeAfter: Date;
  revokedSessions: number;
}

export interface Reactivation {
  user: User;
  /** Reactivate-scoped sessions opened while the account was deactivated; they end. */
  revokedSessions: number;
}

/**
 * The soft delete and its undo, the same whether the owner (with a mailed token or a restricted
 * session) or an operator asks: one retention rule, every session ends, the owner is told by mail.
 * The callers check who may ask; this holds what happens then.
 */
@injectable()
export class AccountDeactivation {
  constructor(
    @inject(TOKENS.UserRepository) private readonly users: UserRepository,
    @inject(TOKENS.SessionStore) private readonly sessions: SessionStore,
    @inject(AuditTrail) private readonly audit: AuditTrail,
    @inject(TOKENS.Mailer) private readonly mailer: Mailer,
    @inject(TOKENS.Clock) private readonly clock: Clock,
    @inject(TOKENS.AuthSettings) private readonly settings: AuthSettings,
    @inject(ACCOUNT_SETTINGS) private readonly accountSettings: AccountSettings,
    @inject(TOKENS.Logger) private readonly logger: Logger,
  ) {}

  /**
   * Deactivates the account for the retention window and ends every session at once: the next
   * request with any of its access tokens is refused, on every instance. Null when the account
   * was erased in between (a hard delete in another request); the caller says what that means.
   */
  async deactivate(user: User, meta: RequestMeta | null, details: Record<string, unknown> = {}): Promise<Deactivation | null> {
    const now = this.clock.now();
    const fields = deactivation(now, this.accountSettings.retentionDays);
    if (!(await this.users.update(user.id, { ...fields, updatedAt: now }))) return null;
    const revokedSessions = await this.sessions.revokeAllForUser(user.id);

    this.audit.record("account-soft-deleted", user.id, meta, { purgeAfter: fields.purgeAfter.toISOString(), revokedSessions, ...details });
    const message = mails.accountDeactivated(user.email, this.settings.appName, fields.purgeAfter);
    inBackground(this.logger, "mail:account-deactivated", () => this.mailer.send(message));
    return { ...fields, revokedSessions };
  }

  /**
   * Undoes a soft delete inside the retention window and ends the restricted sessions opened
   * meanwhile (the soft delete revoked every earlier one, so all live sessions are restricted).
   * Auditing and the mail are left to announceReactivation, so the owner's flow can first start
   * the session it names in the audit entry.
   */
  async reactivate(user: User, now: Date): Promise<Reactivation> {
    if (!user.deactivatedAt) throw new AccountNotDeactivatedError();
    if (!canReactivate(user, now)) throw new ReactivationWindowClosedError();

    const updated = await this.users.update(user.id, { deactivatedAt: null, purgeAfter: null, updatedAt: now });
    // Erased in between by a purge that started at the very edge of the window.
    if (!updated) throw new ReactivationWindowClosedError();
    const revokedSessions = await this.sessions.revokeAllForUser(user.id);
    return { user: updated, revokedSessions };
  }

  announceReactivation(user: User, meta: RequestMeta | null, details: Record<string, unknown>): void {
    this.audit.record("account-reactivated", user.id, meta, details);
    const message = mails.accountReactivated(user.email, this.settings.appName);
    inBackground(this.logger, "mail:account-reactivated", () => this.mailer.send(message));
  }
}
