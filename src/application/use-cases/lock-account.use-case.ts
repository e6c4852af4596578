import { inject, injectable } from "tsyringe";
import { assertValidEmail } from "../../domain/email.js";
import { ValidationError } from "../../domain/errors.js";
import { EMAIL_LOCKOUT_POLICY } from "../../domain/lockout.policy.js";
import { PasswordAttempts } from "../services/password-attempts.service.js";

export interface LockAccountInput {
  email: string;
  /** Default: the policy's first block duration. */
  seconds?: number;
}

export interface LockAccountOutput {
  blockedForSeconds: number;
}

/**
 * Blocks password sign-in for an email at once (an operator reacting to an attack). Uses the
 * same lockout rule and notice as the automatic block.
 */
@injectable()
export class LockAccount {
  constructor(@inject(PasswordAttempts) private readonly attempts: PasswordAttempts) {}

  async execute(input: LockAccountInput): Promise<LockAccountOutput> {
    const emailNormalized = assertValidEmail(input.email);
    const seconds = input.seconds ?? EMAIL_LOCKOUT_POLICY.baseBlockSeconds;
    if (!Number.isInteger(seconds) || seconds < 1 || seconds > EMAIL_LOCKOUT_POLICY.maxBlockSeconds)
      throw ValidationError.field("seconds", `Must be a whole number from 1 to ${EMAIL_LOCKOUT_POLICY.maxBlockSeconds}`);
    await this.attempts.lock(emailNormalized, seconds);
    return { blockedForSeconds: seconds };
  }
}
