import { inject, injectable } from "tsyringe";
import { InvalidCredentialsError, UserNotFoundError, ValidationError } from "../../domain/errors.js";
import { assertAcceptablePassword } from "../../domain/password.policy.js";
import { inBackground } from "../background.js";
import { mails } from "../mail-templates.js";
import type { RequestMeta } from "../request-context.js";
import type { Logger } from "../ports/logger.port.js";
import type { Mailer } from "../ports/mailer.port.js";
import type { Clock, PasswordHasher } from "../ports/security.port.js";
import type { SessionStore } from "../ports/session-store.port.js";
import type { UserRepository } from "../ports/user-repository.port.js";
import { AuditTrail } from "../services/audit-trail.service.js";
import { PasswordAttempts } from "../services/password-attempts.service.js";
import type { AuthSettings } from "../settings.js";
import { TOKENS } from "../tokens.js";

export interface ChangePasswordInput {
  userId: string;
  currentSessionId: string;
  oldPassword: string;
  newPassword: string;
  meta: RequestMeta;
}

export interface ChangePasswordOutput {
  revokedSessions: number;
}

/** Needs the old password (a stolen session alone cannot take the account); other sessions end. */
@injectable()
export class ChangePassword {
  constructor(
    @inject(TOKENS.UserRepository) private readonly users: UserRepository,
    @inject(TOKENS.SessionStore) private readonly sessions: SessionStore,
    @inject(TOKENS.PasswordHasher) private readonly passwords: PasswordHasher,
    @inject(PasswordAttempts) private readonly attempts: PasswordAttempts,
    @inject(AuditTrail) private readonly audit: AuditTrail,
    @inject(TOKENS.Mailer) private readonly mailer: Mailer,
    @inject(TOKENS.Clock) private readonly clock: Clock,
    @inject(TOKENS.AuthSettings) private readonly settings: AuthSettings,
    @inject(TOKENS.Logger) private readonly logger: Logger,
  ) {}

  async execute(input: ChangePasswordInput): Promise<ChangePasswordOutput> {
    const user = await this.users.findById(input.userId);
    if (!user) throw new UserNotFoundError();
    assertAcceptablePassword(input.newPassword, user.emailNormalized, "newPassword");
    if (input.newPassword === input.oldPassword)
      throw ValidationError.field("newPassword", "Must differ from the current password");

    const currentHash = user.passwordHash;
    // A wrong old password counts toward the same lockout as sign-in.
    const ok = await this.attempts.guard(user.emailNormalized, input.meta.ip, async () => {
      if (currentHash) return this.passwords.verify(input.oldPassword, currentHash);
      await this.passwords.verifyDummy(input.oldPassword);
      return false;
    });
    if (!ok) throw new InvalidCredentialsError();

    const passwordHash = await this.passwords.hash(input.newPassword);
    await this.users.update(user.id, { passwordHash, updatedAt: this.clock.now() });
    const revokedSessions = await this.sessions.revokeAllForUser(user.id, input.currentSessionId);
    this.audit.record("password-changed", user.id, input.meta, { revokedSessions });
    const message = mails.passwordChanged(user.email, this.settings.appName);
    inBackground(this.logger, "mail:password-changed", () => this.mailer.send(message));
    return { revokedSessions };
  }
}
