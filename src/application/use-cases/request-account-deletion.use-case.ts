import { inject, injectable } from "tsyringe";
import { DELETE_TOKEN_PURPOSE } from "../../domain/account-deletion.policy.js";
import { AccountDeactivatedError, InvalidCredentialsError, UserNotFoundError } from "../../domain/errors.js";
import { TOKEN_TTL_SECONDS } from "../../domain/one-time-code.policy.js";
import { inBackground } from "../background.js";
import { mails } from "../mail-templates.js";
import type { Logger } from "../ports/logger.port.js";
import type { Mailer } from "../ports/mailer.port.js";
import type { Clock, PasswordHasher } from "../ports/security.port.js";
import type { UserRepository } from "../ports/user-repository.port.js";
import type { RequestMeta } from "../request-context.js";
import { AuditTrail } from "../services/audit-trail.service.js";
import { OneTimeCodes } from "../services/one-time-codes.service.js";
import { PasswordAttempts } from "../services/password-attempts.service.js";
import type { AuthSettings } from "../settings.js";
import { TOKENS } from "../tokens.js";

export interface RequestAccountDeletionInput {
  userId: string;
  password: string;
  meta: RequestMeta;
}

export interface RequestAccountDeletionOutput {
  /** When the mailed token stops working. */
  expiresAt: Date;
}

/**
 * Step one of a deletion: the password (a stolen session alone cannot delete the account), then
 * a single-use token mailed to the owner (so can a stolen password alone not). An account with
 * no password (OAuth only) is refused like a wrong password: the provider session is not proof
 * enough for an irreversible act, so its owner sets a password first through the reset flow.
 */
@injectable()
export class RequestAccountDeletion {
  constructor(
    @inject(TOKENS.UserRepository) private readonly users: UserRepository,
    @inject(TOKENS.PasswordHasher) private readonly passwords: PasswordHasher,
    @inject(PasswordAttempts) private readonly attempts: PasswordAttempts,
    @inject(OneTimeCodes) private readonly codes: OneTimeCodes,
    @inject(AuditTrail) private readonly audit: AuditTrail,
    @inject(TOKENS.Mailer) private readonly mailer: Mailer,
    @inject(TOKENS.Clock) private readonly clock: Clock,
    @inject(TOKENS.AuthSettings) private readonly settings: AuthSettings,
    @inject(TOKENS.Logger) private readonly logger: Logger,
  ) {}

  async execute(input: RequestAccountDeletionInput): Promise<RequestAccountDeletionOutput> {
    const user = await this.users.findById(input.userId);
    if (!user) throw new UserNotFoundError();
    if (user.deactivatedAt) throw new AccountDeactivatedError();

    const passwordHash = user.passwordHash;
    // A wrong password counts toward the same lockout as sign-in.
    const ok = await this.attempts.guard(user.emailNormalized, input.meta.ip, async () => {
      if (passwordHash) return this.passwords.verify(input.password, passwordHash);
      await this.passwords.verifyDummy(input.password);
      return false;
    });
    if (!ok) throw new InvalidCredentialsError();

    const token = await this.codes.issueToken(DELETE_TOKEN_PURPOSE, user.id);
    const expiresAt = new Date(this.clock.now().getTime() + TOKEN_TTL_SECONDS * 1000);
    const link = `${this.settings.clientUrl}/account/delete?token=${encodeURIComponent(token)}`;
    const message = mails.deletionRequested(user.email, this.settings.appName, link, TOKEN_TTL_SECONDS / 60);
    inBackground(this.logger, "mail:account-delete", () => this.mailer.send(message));
    this.audit.record("deletion-requested", user.id, input.meta);
    return { expiresAt };
  }
}
