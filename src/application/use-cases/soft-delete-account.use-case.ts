import { inject, injectable } from "tsyringe";
import { DELETE_TOKEN_PURPOSE, deactivation } from "../../domain/account-deletion.policy.js";
import { AccountDeactivatedError, InvalidTokenError, UserNotFoundError } from "../../domain/errors.js";
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
import { OneTimeCodes } from "../services/one-time-codes.service.js";
import type { AuthSettings } from "../settings.js";
import { TOKENS } from "../tokens.js";

export interface SoftDeleteAccountInput {
  userId: string;
  /** The token mailed by RequestAccountDeletion. */
  token: string;
  meta: RequestMeta;
}

export interface SoftDeleteAccountOutput {
  deactivatedAt: Date;
  /** Reactivation is possible until then; the purge erases the account afterwards. */
  purgeAfter: Date;
  revokedSessions: number;
}

/**
 * Deactivates the account for the retention window. Every session ends at once: the next
 * request with any of its access tokens is refused, on every instance.
 */
@injectable()
export class SoftDeleteAccount {
  constructor(
    @inject(TOKENS.UserRepository) private readonly users: UserRepository,
    @inject(TOKENS.SessionStore) private readonly sessions: SessionStore,
    @inject(OneTimeCodes) private readonly codes: OneTimeCodes,
    @inject(AuditTrail) private readonly audit: AuditTrail,
    @inject(TOKENS.Mailer) private readonly mailer: Mailer,
    @inject(TOKENS.Clock) private readonly clock: Clock,
    @inject(TOKENS.AuthSettings) private readonly settings: AuthSettings,
    @inject(ACCOUNT_SETTINGS) private readonly accountSettings: AccountSettings,
    @inject(TOKENS.Logger) private readonly logger: Logger,
  ) {}

  async execute(input: SoftDeleteAccountInput): Promise<SoftDeleteAccountOutput> {
    const user = await this.users.findById(input.userId);
    if (!user) throw new UserNotFoundError();
    if (user.deactivatedAt) throw new AccountDeactivatedError();
    await this.codes.consumeToken(DELETE_TOKEN_PURPOSE, user.id, input.token);

    const now = this.clock.now();
    const fields = deactivation(now, this.accountSettings.retentionDays);
    // Gone between the check and now (a hard delete in another request): the token proved nothing.
    if (!(await this.users.update(user.id, { ...fields, updatedAt: now }))) throw new InvalidTokenError();
    const revokedSessions = await this.sessions.revokeAllForUser(user.id);

    this.audit.record("account-soft-deleted", user.id, input.meta, { purgeAfter: fields.purgeAfter.toISOString(), revokedSessions });
    const message = mails.accountDeactivated(user.email, this.settings.appName, fields.purgeAfter);
    inBackground(this.logger, "mail:account-deactivated", () => this.mailer.send(message));
    return { ...fields, revokedSessions };
  }
}
