import { inject, injectable } from "tsyringe";
import { normalizeEmail } from "../../domain/email.js";
import { AccountDeactivatedError, UserNotFoundError } from "../../domain/errors.js";
import type { UserRepository } from "../ports/user-repository.port.js";
import type { RequestMeta } from "../request-context.js";
import { AccountDeactivation, type Deactivation } from "../services/account-deactivation.service.js";
import { TOKENS } from "../tokens.js";

export interface DeactivateAccountInput {
  email: string;
  meta?: RequestMeta;
}

export interface DeactivateAccountOutput extends Deactivation {
  userId: string;
}

/**
 * Operator soft delete: what SoftDeleteAccount does (AccountDeactivation: same retention rule,
 * every session ends, the owner is told by mail), without the owner's mailed token, which an
 * operator never has.
 */
@injectable()
export class DeactivateAccount {
  constructor(
    @inject(TOKENS.UserRepository) private readonly users: UserRepository,
    @inject(AccountDeactivation) private readonly deactivation: AccountDeactivation,
  ) {}

  async execute(input: DeactivateAccountInput): Promise<DeactivateAccountOutput> {
    const user = await this.users.findByEmail(normalizeEmail(input.email));
    if (!user) throw new UserNotFoundError();
    if (user.deactivatedAt) throw new AccountDeactivatedError("The account is already deactivated");

    const done = await this.deactivation.deactivate(user, input.meta ?? null, { by: "operator" });
    if (!done) throw new UserNotFoundError();
    return { userId: user.id, ...done };
  }
}
