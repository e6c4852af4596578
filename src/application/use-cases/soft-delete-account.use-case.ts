import { inject, injectable } from "tsyringe";
import { DELETE_TOKEN_PURPOSE } from "../../domain/account-deletion.policy.js";
import { AccountDeactivatedError, InvalidTokenError, UserNotFoundError } from "../../domain/errors.js";
import type { UserRepository } from "../ports/user-repository.port.js";
import type { RequestMeta } from "../request-context.js";
import { AccountDeactivation, type Deactivation } from "../services/account-deactivation.service.js";
import { OneTimeCodes } from "../services/one-time-codes.service.js";
import { TOKENS } from "../tokens.js";

export interface SoftDeleteAccountInput {
  userId: string;
  /** The token mailed by RequestAccountDeletion. */
  token: string;
  meta: RequestMeta;
}

export type SoftDeleteAccountOutput = Deactivation;

/**
 * Deactivates the account for the retention window (see AccountDeactivation), once the owner's
 * mailed token proves the request came from the mailbox as well as from a signed-in session.
 */
@injectable()
export class SoftDeleteAccount {
  constructor(
    @inject(TOKENS.UserRepository) private readonly users: UserRepository,
    @inject(OneTimeCodes) private readonly codes: OneTimeCodes,
    @inject(AccountDeactivation) private readonly deactivation: AccountDeactivation,
  ) {}

  async execute(input: SoftDeleteAccountInput): Promise<SoftDeleteAccountOutput> {
    const user = await this.users.findById(input.userId);
    if (!user) throw new UserNotFoundError();
    if (user.deactivatedAt) throw new AccountDeactivatedError();
    await this.codes.consumeToken(DELETE_TOKEN_PURPOSE, user.id, input.token);

    const done = await this.deactivation.deactivate(user, input.meta);
    // Gone between the check and now (a hard delete in another request): the token proved nothing.
    if (!done) throw new InvalidTokenError();
    return done;
  }
}
