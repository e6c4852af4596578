import { inject, injectable } from "tsyringe";
import { normalizeEmail } from "../../domain/email.js";
import { InvalidTokenError } from "../../domain/errors.js";
import { assertAcceptablePassword } from "../../domain/password.policy.js";
import { inBackground } from "../background.js";
import { mails } from "../mail-templates.js";
import type { Logger } from "../ports/logger.port.js";
import type { Mailer } from "../ports/mailer.port.js";
import type { Clock, PasswordHasher } from "../ports/security.port.js";
import type { SessionStore } from "../ports/session-store.port.js";
import type { UserRepository } from "../ports/user-repository.port.js";
import { OneTimeCodes } from "../services/one-time-codes.service.js";
import { AuditTrail } from "../services/audit-trail.service.js";
import { PasswordAttempts } from "../services/password-attempts.service.js";
import type { RequestMeta } from "../request-context.js";
import type { AuthSettings } from "../settings.js";
import { TOKENS } from "../tokens.js";

export interface ResetPasswordInput {
  email: string;
  newPassword: string;
  resetToken: string;
  meta?: RequestMeta;
}

/**
 * Sets a new password with a reset token: every session ends (whoever had the old password is
 * out), any lock lifts, and the owner is told. Knowing the email is not enough.
 */
@injectable()
export class ResetPassword {
  constructor(
    @inject(TOKENS.UserRepository) private readonly users: UserRepository,
    @inject(TOKENS.SessionStore) private readonly sessions: SessionStore,
    @inject(TOKENS.PasswordHasher) private readonly passwords: PasswordHasher,
    @inject(OneTimeCodes) private readonly codes: OneTimeCodes,
    @inject(PasswordAttempts) private readonly attempts: PasswordAttempts,
    @inject(AuditTrail) private readonly audit: AuditTrail,
    @inject(TOKENS.Mailer) private readonly mailer: Mailer,
    @inject(TOKENS.Clock) private readonly clock: Clock,
    @inject(TOKENS.AuthSettings) private readonly settings: AuthSettings,
    @inject(TOKENS.Logger) private readonly logger: Logger,
  ) {}

  async execute(input: ResetPasswordInput): Promise<void> {
    const emailNormalized = normalizeEmail(input.email);
    // Checked before the token is spent, so a rejected password does not burn the token.
    assertAcceptablePassword(input.newPassword, emailNormalized, "newPassword");
    await this.codes.consumeToken("reset-token", emailNormalized, input.resetToken);
    const user = await this.users.findByEmail(emailNormalized);
    if (!user || user.deactivatedAt) throw new InvalidTokenError();

    const passwordHash = await this.passwords.hash(input.newPassword);
    // The reset proved control of the mailbox, so the address counts as verified.
    await this.users.update(user.id, { passwordHash, isEmailVerified: true, updatedAt: this.clock.now() });
    await this.sessions.revokeAllForUser(user.id);
    await this.attempts.unlock(emailNormalized);
    this.audit.record("password-reset", user.id, input.meta ?? null);
    const message = mails.passwordChanged(user.email, this.settings.appName);
    inBackground(this.logger, "mail:password-changed", () => this.mailer.send(message));
  }
}
