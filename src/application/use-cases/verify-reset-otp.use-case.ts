import { inject, injectable } from "tsyringe";
import { normalizeEmail } from "../../domain/email.js";
import { InvalidCodeError } from "../../domain/errors.js";
import { TOKEN_TTL_SECONDS } from "../../domain/one-time-code.policy.js";
import type { Clock } from "../ports/security.port.js";
import type { UserRepository } from "../ports/user-repository.port.js";
import { OneTimeCodes } from "../services/one-time-codes.service.js";
import { TOKENS } from "../tokens.js";

export interface VerifyResetOtpInput {
  email: string;
  otpCode: string;
}

export interface VerifyResetOtpOutput {
  resetToken: string;
  expiresAt: Date;
}

/** Trades a correct reset code for a single-use reset token that lives 15 minutes. */
@injectable()
export class VerifyResetOtp {
  constructor(
    @inject(TOKENS.UserRepository) private readonly users: UserRepository,
    @inject(OneTimeCodes) private readonly codes: OneTimeCodes,
    @inject(TOKENS.Clock) private readonly clock: Clock,
  ) {}

  async execute(input: VerifyResetOtpInput): Promise<VerifyResetOtpOutput> {
    const emailNormalized = normalizeEmail(input.email);
    await this.codes.consume("reset-password", emailNormalized, input.otpCode.trim());
    const user = await this.users.findByEmail(emailNormalized);
    if (!user || user.deactivatedAt) throw new InvalidCodeError();
    const resetToken = await this.codes.issueToken("reset-token", emailNormalized);
    return { resetToken, expiresAt: new Date(this.clock.now().getTime() + TOKEN_TTL_SECONDS * 1000) };
  }
}
