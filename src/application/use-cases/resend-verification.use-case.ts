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

export interface ResendVerificationInput {
  email: string;
}

/** Always succeeds: whether a code went out is nobody's business but the mailbox owner's. */
@injectable()
export class ResendVerification {
  constructor(
    @inject(TOKENS.UserRepository) private readonly users: UserRepository,
    @inject(OneTimeCodes) private readonly codes: OneTimeCodes,
    @inject(TOKENS.Mailer) private readonly mailer: Mailer,
    @inject(TOKENS.AuthSettings) private readonly settings: AuthSettings,
    @inject(TOKENS.Logger) private readonly logger: Logger,
  ) {}

  async execute(input: ResendVerificationInput): Promise<void> {
    if (!isValidEmail(input.email)) throw ValidationError.field("email", "Must be a valid email address");
    const user = await this.users.findByEmail(normalizeEmail(input.email));
    if (!user || user.isEmailVerified || user.deactivatedAt) return;
    // The lookup is the last thing awaited on every path: issuing the code (a Redis round trip)
    // happens after the answer, so a pending account is not slower to answer than no account.
    inBackground(this.logger, "resend-verification", async () => {
      const code = await this.codes.issue("verify-email", user.emailNormalized);
      if (code) await this.mailer.send(mails.verifyEmail(user.email, this.settings.appName, code));
    });
  }
}
