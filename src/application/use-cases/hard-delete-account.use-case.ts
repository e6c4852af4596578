import { inject, injectable } from "tsyringe";
import { DELETE_TOKEN_PURPOSE } from "../../domain/account-deletion.policy.js";
import { AccountDeactivatedError, UserNotFoundError } from "../../domain/errors.js";
import type { UserRepository } from "../ports/user-repository.port.js";
import type { RequestMeta } from "../request-context.js";
import { AccountEraser } from "../services/account-eraser.service.js";
import { OneTimeCodes } from "../services/one-time-codes.service.js";
import { TOKENS } from "../tokens.js";

export interface HardDeleteAccountInput {
  userId: string;
  /** The token mailed by RequestAccountDeletion. */
  token: string;
  meta: RequestMeta;
}

export interface HardDeleteAccountOutput {
  revokedSessions: number;
}

/**
 * Erases the account now (AccountEraser); the address is free to sign up again. When the image
 * store is down the request fails with the account intact and the owner asks for a new token.
 */
@injectable()
export class HardDeleteAccount {
  constructor(
    @inject(TOKENS.UserRepository) private readonly users: UserRepository,
    @inject(AccountEraser) private readonly eraser: AccountEraser,
    @inject(OneTimeCodes) private readonly codes: OneTimeCodes,
  ) {}

  async execute(input: HardDeleteAccountInput): Promise<HardDeleteAccountOutput> {
    const user = await this.users.findById(input.userId);
    if (!user) throw new UserNotFoundError();
    // A deactivated account has only a reactivate-scoped session, which cannot get here; the purge erases it.
    if (user.deactivatedAt) throw new AccountDeactivatedError();
    await this.codes.consumeToken(DELETE_TOKEN_PURPOSE, user.id, input.token);

    const { erased, revokedSessions } = await this.eraser.erase(user);
    // Erased meanwhile by another erasure, which leaves its own tombstone: this one erased nothing.
    if (erased) this.eraser.announceHardDelete(user, null);
    return { revokedSessions };
  }
}
