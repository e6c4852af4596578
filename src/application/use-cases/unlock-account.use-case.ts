import { inject, injectable } from "tsyringe";
import { assertValidEmail } from "../../domain/email.js";
import { PasswordAttempts } from "../services/password-attempts.service.js";

export interface UnlockAccountInput {
  email: string;
}

/** Lifts a block and forgets the failure history of an email (operators, support). */
@injectable()
export class UnlockAccount {
  constructor(@inject(PasswordAttempts) private readonly attempts: PasswordAttempts) {}

  async execute(input: UnlockAccountInput): Promise<void> {
    await this.attempts.unlock(assertValidEmail(input.email));
  }
}
