import { inject, injectable } from "tsyringe";
import { canReactivate } from "../../domain/account-deletion.policy.js";
import { normalizeEmail } from "../../domain/email.js";
import { AccountNotDeactivatedError, ReactivationWindowClosedError, UserNotFoundError } from "../../domain/errors.js";
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

export interface RestoreAccountInput {
  email: string;
  meta?: RequestMeta;
}

export interface RestoreAccountOutput {
  userId: string;
  /** Reactivate-scoped sessions the owner had opened while deactivated; they end. */
  revokedSessions: number;
}

/**
 * Operator reactivation inside the retention window (same rule as ReactivateAccount). No session
 * is started, since the operator is not the owner: the restricted sessions end and the owner
 * signs in again as usual.
 */
@injectable()
export class RestoreAccount {
  constructor(
    @inject(TOKENS.UserRepository) private readonly users: UserRepository,
    @inject(TOKENS.SessionStore) private readonly sessions: SessionStore,
    @inject(AuditTrail) private readonly audit: AuditTrail,
    @inject(TOKENS.Mailer) private readonly mailer: Mailer,
    @inject(TOKENS.Clock) private readonly clock: Clock,
    @inject(TOKENS.AuthSettings) private readonly settings: AuthSettings,
    @inject(TOKENS.Logger) private readonly logger: Logger,
  ) {}

  async execute(input: RestoreAccountInput): Promise<RestoreAccountOutput> {
    const user = await this.users.findByEmail(normalizeEmail(input.email));
    if (!user) throw new UserNotFoundError();
    if (!user.deactivatedAt) throw new AccountNotDeactivatedError();
    const now = this.clock.now();
    if (!canReactivate(user, now)) throw new ReactivationWindowClosedError();

    // Erased in between by a purge that started at the very edge of the window.
    if (!(await this.users.update(user.id, { deactivatedAt: null, purgeAfter: null, updatedAt: now }))) throw new ReactivationWindowClosedError();
    const revokedSessions = await this.sessions.revokeAllForUser(user.id);

    this.audit.record("account-reactivated", user.id, input.meta ?? null, { by: "operator", revokedSessions });
    const message = mails.accountReactivated(user.email, this.settings.appName);
    inBackground(this.logger, "mail:account-reactivated", () => this.mailer.send(message));
    return { userId: user.id, revokedSessions };
  }
}
