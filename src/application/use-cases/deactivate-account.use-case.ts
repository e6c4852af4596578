import { inject, injectable } from "tsyringe";
import { deactivation } from "../../domain/account-deletion.policy.js";
import { normalizeEmail } from "../../domain/email.js";
import { AccountDeactivatedError, UserNotFoundError } from "../../domain/errors.js";
import { ACCOUNT_SETTINGS, type AccountSettings } from "../account-settings.js";
import { inBackground } from "../background.js";
import { mails } from "../mail-templates.js";
import type { Logger } from "../ports/logger.port.js";
import type { Mailer } from "../ports/mailer.port.js";
import type { Clock } from "../ports/security.port.js";
import type { SessionStore } from "../ports/session-store.port.js";
import type { UserRepository } from "../ports/user-repository.port.js";
import type { RequestMeta } from "../request-context.js";
import { AuditTrail } from "../services/audit-trail.service.js";
import type { AuthSettings } from "../settings.js";
import { TOKENS } from "../tokens.js";

export interface DeactivateAccountInput {
  email: string;
  meta?: RequestMeta;
}

export interface DeactivateAccountOutput {
  userId: string;
  deactivatedAt: Date;
  /** Reactivation is possible until then; the purge erases the account afterwards. */
  purgeAfter: Date;
  revokedSessions: number;
}

/**
 * Operator soft delete: what SoftDeleteAccount does (same retention rule, every session ends,
 * the owner is told by mail), without the owner's mailed token, which an operator never has.
 */
@injectable()
export class DeactivateAccount {
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

  async execute(input: DeactivateAccountInput): Promise<DeactivateAccountOutput> {
    const user = await this.users.findByEmail(normalizeEmail(input.email));
    if (!user) throw new UserNotFoundError();
    if (user.deactivatedAt) throw new AccountDeactivatedError("The account is already deactivated");

    const now = this.clock.now();
    const fields = deactivation(now, this.accountSettings.retentionDays);
    if (!(await this.users.update(user.id, { ...fields, updatedAt: now }))) throw new UserNotFoundError();
    const revokedSessions = await this.sessions.revokeAllForUser(user.id);

    this.audit.record("account-soft-deleted", user.id, input.meta ?? null, {
      purgeAfter: fields.purgeAfter.toISOString(),
      revokedSessions,
      by: "operator",
    });
    const message = mails.accountDeactivated(user.email, this.settings.appName, fields.purgeAfter);
    inBackground(this.logger, "mail:account-deactivated", () => this.mailer.send(message));
    return { userId: user.id, ...fields, revokedSessions };
  }
}
