import { inject, injectable } from "tsyringe";
import { normalizeEmail } from "../../domain/email.js";
import { InvalidCodeError } from "../../domain/errors.js";
import type { User } from "../../domain/user.entity.js";
import type { Clock } from "../ports/security.port.js";
import type { UserRepository } from "../ports/user-repository.port.js";
import { AuditTrail } from "../services/audit-trail.service.js";
import { OneTimeCodes } from "../services/one-time-codes.service.js";
import { TOKENS } from "../tokens.js";

export interface VerifyUserInput {
  email: string;
  otpCode: string;
}

export interface VerifyUserOutput {
  user: User;
}

@injectable()
export class VerifyUser {
  constructor(
    @inject(TOKENS.UserRepository) private readonly users: UserRepository,
    @inject(OneTimeCodes) private readonly codes: OneTimeCodes,
    @inject(TOKENS.Clock) private readonly clock: Clock,
    @inject(AuditTrail) private readonly audit: AuditTrail,
  ) {}

  async execute(input: VerifyUserInput): Promise<VerifyUserOutput> {
    const emailNormalized = normalizeEmail(input.email);
    // The code is checked before the account is looked at, so an unknown address answers
    // exactly like a wrong code.
    await this.codes.consume("verify-email", emailNormalized, input.otpCode.trim());
    const user = await this.users.findByEmail(emailNormalized);
    if (!user) throw new InvalidCodeError();
    if (user.isEmailVerified) return { user };
    const updated = await this.users.update(user.id, { isEmailVerified: true, updatedAt: this.clock.now() });
    if (!updated) throw new InvalidCodeError();
    this.audit.record("email-verified", user.id, null);
    return { user: updated };
  }
}
