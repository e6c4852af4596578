import { inject, injectable } from "tsyringe";
import { isValidEmail, normalizeEmail } from "../../domain/email.js";
import { ValidationError } from "../../domain/errors.js";
import { inBackground } from "../background.js";
import { mails } from "../mail-templates.js";
import type { Logger } from "../ports/logger.port.js";
import type { Mailer } from "../ports/mailer.port.js";
import type { UserRepository } from "../ports/user-repository.port.js";
import { OneTimeCodes } from "../services/one-time-codes.service.js";
import type { AuthSettings } from "../settings.js";
import { TOKENS } from "../tokens.js";

export interface RequestPasswordResetInput {
  email: string;
}

/**
 * Always answers the same, in the same time: the lookup is awaited on every path and the rest
 * (code issue, mail) happens in the background, so registered, unknown, OAuth-only and
 * deactivated addresses cannot be told apart by body, status or latency.
 */
@injectable()
export class RequestPasswordReset {
  constructor(
    @inject(TOKENS.UserRepository) private readonly users: UserRepository,
    @inject(OneTimeCodes) private readonly codes: OneTimeCodes,
    @inject(TOKENS.Mailer) private readonly mailer: Mailer,
    @inject(TOKENS.AuthSettings) private readonly settings: AuthSettings,
    @inject(TOKENS.Logger) private readonly logger: Logger,
  ) {}

  async execute(input: RequestPasswordResetInput): Promise<void> {
    if (!isValidEmail(input.email)) throw ValidationError.field("email", "Must be a valid email address");
    const user = await this.users.findByEmail(normalizeEmail(input.email));
    // A deactivated account is reactivated by signing in, not by a reset.
    if (!user || user.deactivatedAt) return;
    inBackground(this.logger, "password-reset:code", async () => {
      const code = await this.codes.issue("reset-password", user.emailNormalized);
      if (code) await this.mailer.send(mails.resetCode(user.email, this.settings.appName, code));
    });
  }
}
