import { inject, injectable } from "tsyringe";
import { normalizeEmail } from "../../domain/email.js";
import { UserNotFoundError } from "../../domain/errors.js";
import type { User } from "../../domain/user.entity.js";
import type { UserRepository } from "../ports/user-repository.port.js";
import { TOKENS } from "../tokens.js";

export interface FindUserByEmailInput {
  email: string;
}

export interface FindUserByEmailOutput {
  user: User;
}

/**
 * Operator lookup: the account behind an address, whatever its state (unverified, deactivated).
 * Never wire this to a public route: it answers differently for unknown addresses.
 */
@injectable()
export class FindUserByEmail {
  constructor(@inject(TOKENS.UserRepository) private readonly users: UserRepository) {}

  async execute(input: FindUserByEmailInput): Promise<FindUserByEmailOutput> {
    const user = await this.users.findByEmail(normalizeEmail(input.email));
    if (!user) throw new UserNotFoundError();
    return { user };
  }
}
