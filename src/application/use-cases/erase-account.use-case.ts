import { inject, injectable } from "tsyringe";
import { normalizeEmail } from "../../domain/email.js";
import { UserNotFoundError } from "../../domain/errors.js";
import type { UserRepository } from "../ports/user-repository.port.js";
import type { RequestMeta } from "../request-context.js";
import { AccountEraser } from "../services/account-eraser.service.js";
import { TOKENS } from "../tokens.js";

export interface EraseAccountInput {
  email: string;
  meta?: RequestMeta;
}

export interface EraseAccountOutput {
  userId: string;
  revokedSessions: number;
}

/**
 * Operator hard delete, without the owner's mailed token: the same erasure as HardDeleteAccount
 * and the purge (AccountEraser). Unlike the owner's hard delete it also takes a deactivated
 * account, so an erasure request need not wait for the retention window.
 */
@injectable()
export class EraseAccount {
  constructor(
    @inject(TOKENS.UserRepository) private readonly users: UserRepository,
    @inject(AccountEraser) private readonly eraser: AccountEraser,
  ) {}

  async execute(input: EraseAccountInput): Promise<EraseAccountOutput> {
    const user = await this.users.findByEmail(normalizeEmail(input.email));
    if (!user) throw new UserNotFoundError();

    const { erased, revokedSessions } = await this.eraser.erase(user);
    // Erased meanwhile by the purge or another operator: this call erased nothing.
    if (!erased) throw new UserNotFoundError();
    this.eraser.announceHardDelete(user, input.meta ?? null, { by: "operator" });
    return { userId: user.id, revokedSessions };
  }
}
